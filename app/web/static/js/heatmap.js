// The heatmap on /overzicht/heatmap: the diagram of one version in the bpmn-js NavigatedViewer,
// each element coloured by how many cases passed it, with a label that gives the numbers
// (doorlopen · nu · mediaan), so the colour is never the only carrier. The data comes from the
// section's data-heatmap URL as JSON (no inline script: CSP); the same numbers fill the table below.
(function () {
  "use strict";
  var root = document.querySelector("[data-heatmap]");
  if (!root) { return; }
  var status = root.querySelector(".heatmap-status");
  var container = root.querySelector(".heatmap-canvas");
  var tbody = root.querySelector(".heatmap-tabel tbody");
  if (!window.BpmnJS) { status.textContent = "De diagramviewer is niet geladen."; return; }

  function duur(seconds) {
    if (seconds === null || seconds === undefined) { return "–"; }
    var minutes = Math.round(seconds / 60);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), rest = minutes % 60;
    if (days) { return days + " d " + hours + " u"; }
    if (hours) { return hours + " u " + rest + " min"; }
    return rest + " min";
  }

  // Five steps: 0 passes, then four equal shares of the most passed element.
  function level(count, max) {
    if (!count || !max) { return 0; }
    return Math.min(4, 1 + Math.floor(3.999 * count / max));
  }

  function label(id, item) {
    var span = document.createElement("span");
    span.className = "heat-label" + (item.nu ? " nu-open" : "");
    span.setAttribute("data-element", id);
    var strong = document.createElement("strong");
    strong.textContent = String(item.doorlopen);
    span.appendChild(strong);
    span.appendChild(document.createTextNode(" · nu " + item.nu + (item.mediaan_seconden !== null ? " · " + duur(item.mediaan_seconden) : "")));
    span.title = (item.naam || id) + ": " + item.doorlopen + " doorlopen, nu " + item.nu + ", mediaan " + duur(item.mediaan_seconden);
    return span;
  }

  function row(id, item) {
    var tr = document.createElement("tr");
    [item.naam || id, item.doorlopen, item.nu, duur(item.mediaan_seconden)].forEach(function (value, i) {
      var cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) { cell.setAttribute("scope", "row"); }
      cell.textContent = String(value);
      tr.appendChild(cell);
    });
    return tr;
  }

  fetch(root.getAttribute("data-heatmap"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var viewer = new window.BpmnJS({ container: container });
      return viewer.importXML(data.xml).then(function () {
        var canvas = viewer.get("canvas");
        var overlays = viewer.get("overlays");
        var registry = viewer.get("elementRegistry");
        var shown = 0;
        // The table: most passed first, then by name.
        Object.keys(data.elementen).sort(function (a, b) {
          var x = data.elementen[a], y = data.elementen[b];
          return (y.doorlopen - x.doorlopen) || String(x.naam || a).localeCompare(String(y.naam || b), "nl");
        }).forEach(function (id) {
          var item = data.elementen[id];
          tbody.appendChild(row(id, item));
          if (!registry.get(id)) { return; }
          // An expanded sub-process would cover the steps inside it with its colour: numbers only.
          if (item.soort !== "subProcess") {
            canvas.addMarker(id, "heat-" + level(item.doorlopen, data.max_doorlopen));
          }
          overlays.add(id, "heatmap", { position: { bottom: 6, left: -4 }, html: label(id, item) });
          shown += 1;
        });
        canvas.zoom("fit-viewport", "auto");
        container.setAttribute("data-overlays", String(shown));
        status.textContent = (data.naam || data.process_id) + " · versie " + data.versie + ": " + shown +
          " elementen met aantallen (meest doorlopen: " + data.max_doorlopen + ").";
      });
    })
    .catch(function (error) {
      status.textContent = "De heatmap kon niet worden geladen (" + error.message + ").";
      status.className = "heatmap-status melding fout";
    });
}());
