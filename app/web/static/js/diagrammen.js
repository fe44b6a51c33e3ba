// The case's diagrams in the bpmn-js NavigatedViewer: current steps highlighted, completed ones
// marked. The data comes from /casussen/<id>/diagrammen.json (no inline script: CSP).
(function () {
  "use strict";
  var root = document.querySelector("[data-diagrammen]");
  if (!root) { return; }
  if (!window.BpmnJS) {
    root.insertAdjacentHTML("beforeend", '<p class="melding fout">De diagramviewer is niet geladen.</p>');
    return;
  }

  function figureFor(key) {
    var figures = root.querySelectorAll("[data-diagram]");
    for (var i = 0; i < figures.length; i++) {
      if (figures[i].getAttribute("data-diagram") === key) { return figures[i]; }
    }
    return null;
  }

  function show(diagram) {
    var figure = figureFor(diagram.instantie + "-" + diagram.process_id);
    if (!figure) { return Promise.resolve(); }
    var container = figure.querySelector(".canvas");
    var viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(diagram.xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      diagram.afgerond.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "vht-afgerond"); } });
      diagram.actief.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "vht-actief"); } });
      canvas.zoom("fit-viewport");
      figure.setAttribute("data-geladen", "ja");
    }).catch(function () {
      container.textContent = "Dit diagram kon niet worden getoond.";
      figure.setAttribute("data-geladen", "fout");
    });
  }

  fetch(root.getAttribute("data-diagrammen"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (data) { return Promise.all(data.diagrammen.map(show)); })
    .then(function () { root.setAttribute("data-geladen", "ja"); })
    .catch(function () {
      root.insertAdjacentHTML("beforeend", '<p class="melding fout">De diagrammen konden niet worden geladen.</p>');
      root.setAttribute("data-geladen", "fout");
    });
})();
