// Progressive enhancement only: every page works without this file.
// Dialogs: a <dialog data-autoshow> shown by htmx opens modally, focus moves into it, Escape
// closes it (native), and focus returns to the element that opened it.
(function () {
  "use strict";
  var opener = null;
  document.addEventListener("click", function (event) {
    opener = event.target.closest("button, a") || opener;
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) { event.preventDefault(); dialog.close(); }
    }
  });
  function showDialogs(root) {
    root = root || document;
    var dialogs = Array.prototype.slice.call(root.querySelectorAll("dialog[data-autoshow]"));
    // htmx:load fires on the swapped element itself, which may be the dialog
    if (root.matches && root.matches("dialog[data-autoshow]")) dialogs.unshift(root);
    dialogs.forEach(function (dialog) {
      if (dialog.open) return;
      dialog.addEventListener("close", function () {
        dialog.remove();
        if (opener && document.contains(opener)) opener.focus();
      }, { once: true });
      dialog.showModal();
      // the element marked autofocus first, else the first control
      var focusTarget = dialog.querySelector("[autofocus]") ||
        dialog.querySelector("button, a[href], input, select, textarea");
      if (focusTarget) focusTarget.focus();
    });
  }
  document.addEventListener("htmx:load", function (event) { showDialogs(event.target); });
  document.addEventListener("DOMContentLoaded", function () { showDialogs(document); });
})();
