// The case's diagrams in the bpmn-js NavigatedViewer: current steps highlighted, completed ones
// marked. The data comes from /casussen/<id>/diagrammen.json (no inline script: CSP).
// One diagram at a time behind tabs (the procedures with a current step first), each with zoom,
// fit and "current step" buttons; the canvas itself pans by dragging or the arrow keys. A diagram
// opens at a readable scale on its current step; a wide one is not shrunk to fit.
(function () {
  "use strict";
  var root = document.querySelector("[data-diagrammen]");
  if (!root) { return; }
  if (!window.BpmnJS) {
    root.insertAdjacentHTML("beforeend", '<p class="melding fout">De diagramviewer is niet geladen.</p>');
    return;
  }

  var READABLE = 1;       // the current step: labels at their drawn size
  var MIN_OVERVIEW = 0.7; // below this the labels are too small to read: show the start instead
  var STEP = 1.25;
  var MIN = 0.2;
  var MAX = 3;
  var PAN = 80;           // pixels per arrow key

  var figures = Array.prototype.slice.call(root.querySelectorAll("[data-diagram]"));
  var views = {};         // data-diagram -> {viewer, active, placed}

  function button(label, action, title) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.setAttribute("data-actie", action);
    if (title) { b.setAttribute("aria-label", title); b.title = title; }
    return b;
  }

  function canvasOf(figure) { return views[figure.getAttribute("data-diagram")].viewer.get("canvas"); }

  function report(figure) {
    var scale = canvasOf(figure).zoom();
    figure.setAttribute("data-schaal", scale.toFixed(2));
    figure.querySelector(".zoom-stand").textContent = Math.round(scale * 100) + "%";
  }

  function zoomBy(figure, factor) {
    var canvas = canvasOf(figure);
    var scale = Math.min(MAX, Math.max(MIN, canvas.zoom() * factor));
    var outer = canvas.viewbox().outer;
    canvas.zoom(scale, { x: outer.width / 2, y: outer.height / 2 });
    report(figure);
  }

  function fit(figure) {
    canvasOf(figure).zoom("fit-viewport", "auto");
    report(figure);
  }

  // Centres the first current step at a readable scale; without one, the whole diagram if it
  // stays readable, else its start (the left side) at the smallest readable scale.
  function place(figure) {
    var view = views[figure.getAttribute("data-diagram")];
    var canvas = view.viewer.get("canvas");
    var registry = view.viewer.get("elementRegistry");
    var current = view.active.map(function (id) { return registry.get(id); }).filter(Boolean)[0];
    canvas.resized();
    var outer = canvas.viewbox().outer;
    if (current) {
      var w = outer.width / READABLE, h = outer.height / READABLE;
      canvas.viewbox({ x: current.x + current.width / 2 - w / 2, y: current.y + current.height / 2 - h / 2, width: w, height: h });
    } else {
      canvas.zoom("fit-viewport", "auto");
      if (canvas.zoom() < MIN_OVERVIEW) {
        var inner = canvas.viewbox().inner;
        var width = outer.width / MIN_OVERVIEW, height = outer.height / MIN_OVERVIEW;
        canvas.viewbox({ x: inner.x - 20, y: inner.y + inner.height / 2 - height / 2, width: width, height: height });
      }
    }
    view.placed = true;
    report(figure);
  }

  function keys(figure, event) {
    var canvas = canvasOf(figure);
    var moves = { ArrowLeft: [PAN, 0], ArrowRight: [-PAN, 0], ArrowUp: [0, PAN], ArrowDown: [0, -PAN] };
    if (moves[event.key]) {
      canvas.scroll({ dx: moves[event.key][0], dy: moves[event.key][1] });
    } else if (event.key === "+" || event.key === "=") {
      zoomBy(figure, STEP);
    } else if (event.key === "-") {
      zoomBy(figure, 1 / STEP);
    } else if (event.key === "0") {
      fit(figure);
    } else {
      return;
    }
    event.preventDefault();
  }

  function controls(figure) {
    var bar = document.createElement("div");
    bar.className = "diagram-knoppen";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Zoomen en verschuiven");
    var status = document.createElement("span");
    status.className = "zoom-stand";
    status.setAttribute("aria-live", "polite");
    var hint = document.createElement("span");
    hint.className = "klein";
    hint.textContent = "Verschuiven: slepen, of de pijltjestoetsen in het diagram.";
    [button("+", "inzoomen", "Inzoomen"), button("\u2212", "uitzoomen", "Uitzoomen"),
      button("Passend", "passend", "Passend: heel diagram tonen"), button("Huidige stap", "huidige", "Naar de huidige stap"),
      status, hint].forEach(function (node) { bar.appendChild(node); });
    bar.addEventListener("click", function (event) {
      var action = event.target.getAttribute && event.target.getAttribute("data-actie");
      if (action === "inzoomen") { zoomBy(figure, STEP); }
      if (action === "uitzoomen") { zoomBy(figure, 1 / STEP); }
      if (action === "passend") { fit(figure); }
      if (action === "huidige") { place(figure); }
    });
    figure.insertBefore(bar, figure.querySelector(".canvas"));
    var container = figure.querySelector(".canvas");
    container.setAttribute("tabindex", "0");
    container.addEventListener("keydown", function (event) { keys(figure, event); });
  }

  function select(figure, focus) {
    figures.forEach(function (other) {
      var chosen = other === figure;
      other.hidden = !chosen;
      var tab = document.getElementById(other.getAttribute("aria-labelledby"));
      tab.setAttribute("aria-selected", String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
      if (chosen && focus) { tab.focus(); }
    });
    var view = views[figure.getAttribute("data-diagram")];
    if (view && view.loaded && !view.placed) { place(figure); }
  }

  // A call activity is current while its called procedure runs; the step itself is in that one.
  function ownStep(d) {
    return d.actief.some(function (id) { return !new RegExp("<bpmn:callActivity[^>]*id=\"" + id + "\"").test(d.xml); });
  }

  // Tabs in the order of the figures: first where a step is open, then the procedures that call
  // it, then the others.
  function tabs(data) {
    var running = {}, rank = {};
    figures.forEach(function (f) { rank[f.getAttribute("data-diagram")] = 2; });
    data.forEach(function (d) {
      var key = d.instantie + "-" + d.process_id;
      running[key] = d.actief.length > 0;
      rank[key] = ownStep(d) ? 0 : (running[key] ? 1 : 2);
    });
    var ordered = figures.slice().sort(function (a, b) {
      return rank[a.getAttribute("data-diagram")] - rank[b.getAttribute("data-diagram")]
        || figures.indexOf(a) - figures.indexOf(b);
    });
    var list = document.createElement("div");
    list.className = "diagram-tabs";
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-label", "Procedures");
    ordered.forEach(function (figure, i) {
      var key = figure.getAttribute("data-diagram");
      var tab = document.createElement("button");
      tab.type = "button";
      tab.id = "diagram-tab-" + key;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", "diagram-paneel-" + key);
      tab.textContent = figure.getAttribute("data-naam");
      if (running[key]) {
        var mark = document.createElement("span");
        mark.className = "label actief";
        mark.textContent = "bezig";
        tab.appendChild(document.createTextNode(" "));
        tab.appendChild(mark);
      }
      tab.addEventListener("click", function () { select(figure, false); });
      tab.addEventListener("keydown", function (event) {
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: ordered.length - 1 }[event.key];
        if (next === undefined) { return; }
        event.preventDefault();
        select(ordered[(next + ordered.length) % ordered.length], true);
      });
      figure.id = "diagram-paneel-" + key;
      figure.setAttribute("role", "tabpanel");
      figure.setAttribute("aria-labelledby", tab.id);
      list.appendChild(tab);
    });
    root.insertBefore(list, figures[0]);
    figures.forEach(controls);
    return ordered[0];
  }

  function show(diagram) {
    var key = diagram.instantie + "-" + diagram.process_id;
    var figure = root.querySelector('[data-diagram="' + key + '"]');
    if (!figure) { return Promise.resolve(); }
    var container = figure.querySelector(".canvas");
    var viewer = new window.BpmnJS({ container: container });
    views[key] = { viewer: viewer, active: diagram.actief, loaded: false, placed: false };
    if (!diagram.actief.length) { figure.querySelector("[data-actie=huidige]").hidden = true; }
    return viewer.importXML(diagram.xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      diagram.afgerond.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "vht-afgerond"); } });
      diagram.actief.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "vht-actief"); } });
      // A missed deadline's end event: a warning, not something finished (never green).
      (diagram.gesignaleerd || []).forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "vht-gesignaleerd"); } });
      views[key].loaded = true;
      if (!figure.hidden) { place(figure); }
      figure.setAttribute("data-geladen", "ja");
    }).catch(function () {
      delete views[key];
      container.textContent = "Dit diagram kon niet worden getoond.";
      figure.setAttribute("data-geladen", "fout");
    });
  }

  fetch(root.getAttribute("data-diagrammen"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (data) {
      if (figures.length) { select(tabs(data.diagrammen), false); }
      return Promise.all(data.diagrammen.map(show));
    })
    .then(function () { root.setAttribute("data-geladen", "ja"); })
    .catch(function () {
      root.insertAdjacentHTML("beforeend", '<p class="melding fout">De diagrammen konden niet worden geladen.</p>');
      root.setAttribute("data-geladen", "fout");
    });
})();
