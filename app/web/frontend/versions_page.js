// The compare page of two versions (/beheer/processen/<id>/versies/vergelijk): both diagrams side
// by side with bpmn-js-differ's added/removed/changed elements coloured, and the list of changes
// as a table. Bundled on its own as /static/build/versions.js (a viewer, no modeler); the page's
// data comes from data attributes of #versies-vergelijk (no inline script under the CSP).
import { createDiff } from './diff.js';
import { el } from './util.js';

const ATTRIBUTES = {
  name: 'naam',
  conditionExpression: 'voorwaarde',
  'camunda:formKey': 'formulier',
  'camunda:candidateGroups': 'rol',
  'camunda:assignee': 'toegewezen aan',
  'camunda:dueDate': 'termijn',
  'camunda:candidateStarterGroups': 'wie mag starten',
  calledElement: 'aangeroepen proces',
  default: 'standaardpad',
  timerEventDefinition: 'timer',
  eventDefinitions: 'gebeurtenis',
  extensionElements: 'extra eigenschappen',
  documentation: 'uitleg',
};

function label(attr) {
  return ATTRIBUTES[attr] || attr;
}

// A changed attribute's value as text: moddle objects (an expression, a timer) by their body.
function text(value) {
  if (value === undefined || value === null || value === '') return '(leeg)';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(text).join(', ');
  if (typeof value.body === 'string') return value.body;
  if (value.id) return value.id;
  return value.$type || '(samengesteld)';
}

// An attribute's value in each version, read from the two diagrams themselves; attributes the
// differ names by a path (a list item) are not plain properties: then the differ's own pair.
function values(change, attr, viewers) {
  const objects = viewers.map((viewer) => {
    const shape = viewer.get('elementRegistry').get(change.id);
    return shape && shape.businessObject;
  });
  if (objects[0] && objects[1] && /^[\w:]+$/.test(attr.attr)) {
    return [objects[0].get(attr.attr), objects[1].get(attr.attr)];
  }
  return [attr.oud, attr.nieuw];
}

function details(change, viewers) {
  if (change.kind !== 'gewijzigd') return '';
  if (!change.attrs.length) return 'gewijzigd';
  return el('ul', {}, change.attrs.map((a) => {
    const [before, after] = values(change, a, viewers);
    return el('li', {}, el('strong', {}, label(a.attr)), ': ', el('del', {}, text(before)), ' → ', el('ins', {}, text(after)));
  }));
}

function status(root, message, kind = 'info') {
  const box = root.querySelector('#vergelijk-status');
  box.textContent = message;
  box.className = `melding ${kind}`;
  box.hidden = !message;
}

async function fetchXml(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

export async function startVersionsPage(root) {
  const data = root.dataset;
  let changes;
  try {
    const [xmlA, xmlB] = await Promise.all([fetchXml(data.xmlA), fetchXml(data.xmlB)]);
    changes = await createDiff({
      left: root.querySelector('#diagram-a'), right: root.querySelector('#diagram-b'), xmlA, xmlB,
    });
  } catch (error) {
    status(root, `De diagrammen konden niet worden vergeleken: ${error.message || error}`, 'fout');
    root.dataset.geladen = 'fout';
    return;
  }
  const body = root.querySelector('#diagram-wijzigingen tbody');
  body.replaceChildren(...changes.map((change) => el('tr', { className: `wijziging ${change.kind}`, 'data-element': change.id },
    el('td', {}, el('span', { className: `label ${change.kind}` }, change.kind)),
    el('td', {}, change.name ? `${change.name} ` : '', el('code', {}, change.id)),
    el('td', {}, details(change, changes.viewers)))));
  if (!changes.length) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 3 },
      'Geen wijzigingen in de elementen van het diagram.')));
  }
  const moved = changes.layoutChanged.length;
  status(root, moved ? `Verder ${moved === 1 ? 'is 1 element' : `zijn ${moved} elementen`} alleen verplaatst of anders getekend.` : '');
  window.VhtVersionsPage = { changes };
  root.dataset.geladen = 'ja';
}

function start() {
  const root = document.getElementById('versies-vergelijk');
  if (root) startVersionsPage(root);
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
