// Setup › Order Status / Offer Status: the badge preview beside each colour picker follows the
// picker as it moves, and says at once when the colour is too pale to be saved. The server
// applies the same WCAG rule (core/rules/colors.py) and refuses such a colour; this is only
// the live preview. Colours are set through the CSSOM, which the strict CSP allows.
(function () {
  "use strict";
  var MIN_CONTRAST = 3; // core.rules.colors.MIN_BADGE_CONTRAST

  function channel(value) {
    var c = value / 255;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }
  function luminance(rgb) {
    return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
  }
  function fromHex(hex) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : null;
  }
  function fromCss(value) {
    var m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(value);
    return m ? [+m[1], +m[2], +m[3]] : null;
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function follow(input) {
    var badge = document.getElementById(input.getAttribute("data-badge-preview"));
    var color = fromHex(input.value);
    if (!badge || !color) return;
    badge.querySelector(".status-dot").style.backgroundColor = input.value;
    var background = fromCss(getComputedStyle(badge).backgroundColor);
    var warning = document.getElementById(input.id.replace(/-color$/, "-pale"));
    if (!background || !warning) return;
    var pale = contrast(color, background) < MIN_CONTRAST;
    warning.textContent = pale ? warning.getAttribute("data-message") : "";
    badge.classList.toggle("status-preview-pale", pale);
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-badge-preview]")) {
      follow(event.target);
    }
  });
})();
