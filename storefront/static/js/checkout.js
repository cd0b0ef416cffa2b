// Progressive enhancement of the checkout's review step (the page works without this file):
// the execution date shows only when "On a date I choose" is picked, and the submit button
// says what it does then (pay now, or schedule). Without JavaScript the date field is simply
// there, with its hint.
(function () {
  "use strict";
  function enhance(root) {
    var form = (root || document).querySelector("form[data-schedule-toggle]");
    if (!form || form.dataset.enhanced) return;
    form.dataset.enhanced = "1";
    var dateField = form.querySelector(".schedule-date");
    var button = form.querySelector("button[type=submit][data-label-scheduled]");
    var nowLabel = button ? button.textContent : "";
    function update() {
      var picked = form.querySelector("input[name=when]:checked");
      var scheduled = picked && picked.value === "scheduled";
      if (dateField) dateField.hidden = !scheduled;
      if (button) button.textContent = scheduled ? button.dataset.labelScheduled : nowLabel;
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "when") update();
    });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // the form is swapped by htmx after a refused placement
  document.addEventListener("htmx:load", function () { enhance(document); });
})();
