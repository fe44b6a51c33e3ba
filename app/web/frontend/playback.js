// The player on the case page (section #afspelen): the case after every recorded event, as replay
// reproduced it (/casussen/<id>/afspelen.json). Vorige/Volgende and a slider (arrow keys) step
// through the events; per step the diagrams with the completed path and the tokens of that
// moment, the case data as it was then and the values entered at that step. Bundled on its own as
// /static/build/playback.js (a viewer, no modeler); nothing inline (CSP).
import { createViewer } from './viewer.js';
import { el } from './util.js';

const DONE = 'vht-afgerond';
const ACTIVE = 'vht-actief';
const STEP = 'vht-stap';

function values(items) {
  if (!items.length) return el('p', { className: 'leeg' }, 'Geen gegevens.');
  return el('dl', { className: 'waarden' }, items.flatMap((item) => [
    el('dt', {}, item.label),
    el('dd', { 'data-veld': item.field }, item.rows
      ? el('ol', {}, item.rows.map((row) => el('li', {}, values(row))))
      : item.text),
  ]));
}

// A correction: per field the value before and after.
function changes(items) {
  return el('dl', { className: 'waarden' }, items.flatMap((item) => [
    el('dt', {}, item.label),
    el('dd', {}, `was: ${item.before}; nu: ${item.after}`),
  ]));
}

class Player {
  constructor(root, data) {
    this.root = root;
    this.data = data;
    this.steps = data.stappen;
    this.figures = new Map(); // "<instance>-<version id>" -> {figure, view (a promise)}
    this.shown = Promise.resolve();
    this.slider = root.querySelector('input[type=range]');
    this.previous = root.querySelector('[data-actie=vorige]');
    this.next = root.querySelector('[data-actie=volgende]');
    this.text = root.querySelector('.stap-tekst');
    this.diagrams = root.querySelector('.afspelen-diagrammen');
    this.caseData = root.querySelector('.afspelen-gegevens');
    this.entered = root.querySelector('.afspelen-ingevoerd');
    this.slider.max = String(this.steps.length);
    this.slider.addEventListener('input', () => this.show(Number(this.slider.value) - 1));
    this.previous.addEventListener('click', () => this.show(this.index - 1));
    this.next.addEventListener('click', () => this.show(this.index + 1));
    if (data.afwijking) {
      const warning = root.querySelector('.afwijking');
      warning.textContent = data.afwijking.reden;
      warning.hidden = false;
    }
    root.querySelector('.speler').hidden = false;
  }

  show(index) {
    if (index < 0 || index >= this.steps.length) return this.shown;
    this.index = index;
    const step = this.steps[index];
    this.slider.value = String(index + 1);
    this.slider.setAttribute('aria-valuetext', `Stap ${index + 1}: ${step.label}`);
    this.previous.disabled = index === 0;
    this.next.disabled = index === this.steps.length - 1;
    const of = this.data.afwijking ? ` (van ${this.data.gebeurtenissen} gebeurtenissen)` : '';
    this.text.textContent = `Stap ${index + 1} van ${this.steps.length}${of}: ${step.label} door ${step.door} op ${step.moment}`;
    this.root.dataset.stap = String(index + 1);
    this.caseData.replaceChildren(...step.procedures.map((p) => el('div', { className: 'procedure' },
      el('h4', {}, `${p.naam} (versie ${p.versie})${p.afgerond ? ', afgerond' : ''}`), values(p.gegevens))));
    this.entered.replaceChildren(step.wijzigingen.length ? changes(step.wijzigingen) : values(step.ingevoerd));
    this.shown = this.showDiagrams(step);
    return this.shown;
  }

  async showDiagrams(step) {
    const visible = new Set();
    const work = [];
    for (const procedure of step.procedures) {
      for (const diagram of procedure.diagrammen) {
        const key = `${procedure.instantie}-${diagram.process_version_id}`;
        visible.add(key);
        const own = procedure.instantie === step.instantie ? step.element : null;
        work.push(this.figure(key, diagram.process_version_id).then((view) => {
          if (view) this.mark(view, diagram, own);
        }));
      }
    }
    for (const [key, item] of this.figures) item.figure.hidden = !visible.has(key);
    await Promise.all(work);
    this.root.dataset.getekend = String(this.index + 1);
  }

  figure(key, versionId) {
    if (!this.figures.has(key)) {
      const source = this.data.diagrammen[String(versionId)];
      // A group, not an img: the viewer's canvas inside it takes the focus (axe: nested-interactive).
      const canvas = el('div', { className: 'canvas', role: 'group', 'aria-label': `Diagram ${source.naam} bij deze stap` });
      const figure = el('figure', { className: 'diagram', 'data-diagram': key },
        el('figcaption', {}, source.naam, ' ', el('span', { className: 'klein' }, `(versie ${source.versie})`)), canvas);
      this.diagrams.append(figure);
      const view = createViewer({ container: canvas, xml: source.xml }).catch(() => {
        canvas.textContent = 'Dit diagram kon niet worden getoond.';
        return null;
      });
      this.figures.set(key, { figure, view, marked: [] });
    }
    const item = this.figures.get(key);
    return item.view.then((view) => (view ? { ...view, item } : null));
  }

  mark(view, diagram, element) {
    const canvas = view.viewer.get('canvas');
    const registry = view.viewer.get('elementRegistry');
    view.item.marked.forEach(([id, marker]) => canvas.removeMarker(id, marker));
    const marks = [...diagram.afgerond.map((id) => [id, DONE]), ...diagram.actief.map((id) => [id, ACTIVE])];
    if (element) marks.push([element, STEP]);
    view.item.marked = marks.filter(([id]) => registry.get(id));
    view.item.marked.forEach(([id, marker]) => canvas.addMarker(id, marker));
  }
}

async function start(root) {
  const button = root.querySelector('[data-actie=laden]');
  const status = root.querySelector('.afspelen-status');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'De gebeurtenissen worden opnieuw afgespeeld…';
    try {
      const response = await fetch(root.dataset.afspelen, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (!data.stappen.length) {
        status.textContent = data.afwijking ? data.afwijking.reden : 'Deze casus heeft nog geen gebeurtenissen.';
        return;
      }
      button.hidden = true;
      status.textContent = '';
      const player = new Player(root, data);
      await player.show(0);
      player.slider.focus();
    } catch (error) {
      status.textContent = `Afspelen is niet gelukt (${error.message}).`;
      button.disabled = false;
    }
  });
}

function boot() {
  const root = document.getElementById('afspelen');
  if (root) start(root);
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
