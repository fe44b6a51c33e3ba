// A refused form's error summary (_foutoverzicht.html): the focus goes there when the page opens,
// and a line of it puts the focus in its field, with the field's label in view.
(function () {
  "use strict";
  var summary = document.querySelector(".foutoverzicht");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }  // the browser follows the link itself
    event.preventDefault();
    (field.closest(".veld, .rijveld") || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
})();
