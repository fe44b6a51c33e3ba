// Forms: show or hide fields with a show_if condition, and add/remove rows of repeated groups.
// Without JavaScript every field shows and a few empty rows are there; the server decides.
(function () {
  "use strict";

  function controls(form, name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  function currentValue(form, name) {
    var wrapper = form.querySelector('[data-veld="' + name + '"]');
    var type = wrapper ? wrapper.getAttribute("data-type") : "";
    var els = controls(form, name);
    if (type === "multiple_choice") {
      return els.filter(function (el) { return el.checked && !el.disabled; }).map(function (el) { return el.value; });
    }
    var value = null;
    els.forEach(function (el) {
      if (el.disabled) { return; }
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) { value = el.value; } }
      else if (el.value !== "") { value = el.value; }
    });
    if (type === "yes_no") { return value === "ja" ? true : value === "nee" ? false : null; }
    return value;
  }

  function applyShowIf(form) {
    // Twice: a field can depend on one that is itself hidden.
    for (var pass = 0; pass < 2; pass++) {
      form.querySelectorAll("[data-show-if-field]").forEach(function (wrapper) {
        var value = currentValue(form, wrapper.getAttribute("data-show-if-field"));
        var shown;
        if (wrapper.hasAttribute("data-show-if-equals")) {
          shown = value === JSON.parse(wrapper.getAttribute("data-show-if-equals"));
        } else if (wrapper.hasAttribute("data-show-if-in")) {
          shown = JSON.parse(wrapper.getAttribute("data-show-if-in")).indexOf(value) !== -1;
        } else {
          var wanted = JSON.parse(wrapper.getAttribute("data-show-if-contains"));
          shown = Array.isArray(value) && value.indexOf(wanted) !== -1;
        }
        wrapper.hidden = !shown;
        wrapper.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !shown; });
      });
    }
  }

  function rowIsEmpty(row) {
    return Array.prototype.every.call(row.querySelectorAll("input, select, textarea"), function (el) {
      if (el.type === "radio" || el.type === "checkbox") { return !el.checked; }
      return el.value === "";
    });
  }

  function setUpList(list) {
    var rows = list.querySelector(".rijen");
    var template = list.querySelector("template.rij-sjabloon");
    var add = list.querySelector(".rij-toevoegen");
    function wire(row) {
      var remove = row.querySelector(".rij-verwijderen");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        row.remove();
        if (!rows.querySelector(".rij")) { addRow(); }
      });
    }
    function addRow() {
      var index = parseInt(list.getAttribute("data-volgende"), 10) || 0;
      list.setAttribute("data-volgende", String(index + 1));
      var html = template.innerHTML.split("__i__").join(String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      wire(row);
      return row;
    }
    // With JavaScript one empty row is enough: rows are added on request.
    var all = Array.prototype.slice.call(rows.querySelectorAll(".rij"));
    var filled = all.filter(function (row) { return !rowIsEmpty(row); });
    all.forEach(function (row, i) {
      var keep = !rowIsEmpty(row) || (filled.length === 0 && i === 0) || row.querySelector(".meldingen");
      if (!keep) { row.remove(); } else { wire(row); }
    });
    add.hidden = false;
    add.addEventListener("click", function () {
      var row = addRow();
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  }

  function setUp(form) {
    form.querySelectorAll("fieldset.lijst").forEach(setUpList);
    applyShowIf(form);
    form.addEventListener("change", function () { applyShowIf(form); });
    form.addEventListener("input", function () { applyShowIf(form); });
  }

  document.querySelectorAll("form.formulier").forEach(setUp);
  // The form editor's live preview puts a form in the page later: it sets that one up itself.
  window.VhtFormulier = { setUp: setUp };
})();
