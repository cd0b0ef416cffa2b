// Progressive enhancement only (issue 13, point 18): every form works without this file.
// - A region htmx is replacing says it is busy (aria-busy) until the answer is in; the forms
//   themselves disable their button while they are sent (hx-disabled-elt) and show their
//   indicator (hx-indicator), so a double click sends once.
// - After a basket line is removed, focus moves to the next line's Remove button, or to the
//   basket's totals (its heading when the basket is empty) when there is no next line; the
//   live region #basket-status announces the change (filled by the server's answer).
// - A region marked data-focus-answer that htmx replaced (Add to basket's form, the users of
//   an account) puts focus on its answer (the element marked data-focus-after-swap: "Added to
//   your basket", a refusal), else on its first invalid field, unless focus is already inside
//   it (htmx keeps a field by id): the button that had focus is gone, and focus fell back to
//   the top of the page, so a keyboard user had to find the form again.
(function () {
  "use strict";
  var focusAfterSwap = null;

  function nextRemoveButton(button) {
    var removed = button.getAttribute("data-remove-item");
    var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-remove-item]"));
    var after = buttons.slice(buttons.indexOf(button) + 1);
    for (var i = 0; i < after.length; i++) {
      // the add-ons of the removed line go with it
      if (after[i].getAttribute("data-remove-parent") !== removed) return after[i].id;
    }
    return "";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target) target.setAttribute("aria-busy", "true");
    var button = event.detail.elt.querySelector && event.detail.elt.querySelector("[data-remove-item]");
    if (button) focusAfterSwap = nextRemoveButton(button);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target;
    if (target && document.contains(target)) target.removeAttribute("aria-busy");
    if (!event.detail.successful) focusAfterSwap = null;  // nothing swapped: focus stays
  });

  function focusTheAnswer(target) {
    // after an outerHTML swap the new element has the target's id
    var swapped = target && target.id && document.getElementById(target.id);
    if (!swapped || !swapped.hasAttribute("data-focus-answer")) return;
    if (swapped.contains(document.activeElement)) return;
    var answer = swapped.querySelector("[data-focus-after-swap]") ||
      swapped.querySelector("[aria-invalid=true]");
    if (answer) answer.focus();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (focusAfterSwap === null) {
      focusTheAnswer(event.detail.target);
      return;
    }
    var wanted = focusAfterSwap;
    focusAfterSwap = null;
    var basket = document.getElementById("basket");
    var element = (wanted && document.getElementById(wanted)) ||
      (basket && document.getElementById(basket.getAttribute("data-focus-fallback"))) ||
      document.getElementById("basket-heading");
    if (element) element.focus();
  });
})();
