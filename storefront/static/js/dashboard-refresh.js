// BSS dashboard: a self-refreshing region ([data-refresh-region], polled by htmx) skips its
// refresh while keyboard focus is inside it or the tab is hidden, so a keyboard user never
// loses their place and a background tab costs nothing. (htmx trigger filters would need
// eval, which the strict CSP and htmx's allowEval=false forbid; cancelling
// htmx:beforeRequest needs neither.)
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    var region = source && source.closest && source.closest("[data-refresh-region]");
    if (!region) return;
    if (document.hidden || region.contains(document.activeElement)) {
      event.preventDefault();
    }
  });
})();
