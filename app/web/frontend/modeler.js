// createModeler({canvas, panel}): bpmn-js Modeler with the properties panel and the Camunda 7
// extension (formKey, candidateGroups, assignee, dueDate, candidateStarterGroups, timers are
// edited in the panel), bpmnlint's recommended rules in the browser, the product's problems as
// markers on the elements and a scenario's path in colour.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import CamundaPlatformBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import lintModule from 'bpmn-js-bpmnlint';
import bpmnlintConfig from 'vht:bpmnlint-config';

import { el, translate } from './util.js';

const PROBLEM_MARKER = 'vht-probleem';
const PATH_MARKER = 'vht-pad';

export function createModeler({ canvas, panel }) {
  const problemList = el('div', { className: 'vht-problemen-lijst', hidden: true, role: 'alert' });
  canvas.parentNode.insertBefore(problemList, canvas);

  const modeler = new BpmnModeler({
    container: canvas,
    propertiesPanel: { parent: panel },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaPlatformBehaviorsModule,
      lintModule,
      { translate: ['value', translate] },
    ],
    moddleExtensions: { camunda: camundaModdle },
    // Off until lint() is asked: the product's own problems are the markers that count.
    linting: { bpmnlint: bpmnlintConfig, active: false },
  });

  const listeners = { changed: [], selection: [] };
  const emit = (event, value) => listeners[event].forEach((fn) => fn(value));
  let selected = null;
  let problemOverlays = [];
  let problemIds = [];
  let pathIds = [];

  const eventBus = modeler.get('eventBus');
  eventBus.on('commandStack.changed', () => emit('changed'));
  eventBus.on('selection.changed', ({ newSelection }) => {
    selected = newSelection.length === 1 ? newSelection[0] : null;
    emit('selection', describe(selected));
  });
  // A formKey or name typed in the panel changes what the page shows for the selection.
  eventBus.on('element.changed', ({ element }) => {
    if (selected && element.id === selected.id) emit('selection', describe(element));
  });

  function describe(element) {
    if (!element || !element.businessObject) return null;
    const bo = element.businessObject;
    return {
      id: bo.id,
      type: bo.$type,
      name: bo.name || '',
      formKey: bo.get ? bo.get('camunda:formKey') || null : null,
      isUserTask: bo.$type === 'bpmn:UserTask',
    };
  }

  function clearProblems() {
    const overlays = modeler.get('overlays');
    const cv = modeler.get('canvas');
    problemOverlays.forEach((id) => overlays.remove(id));
    problemIds.forEach((id) => cv.removeMarker(id, PROBLEM_MARKER));
    problemOverlays = [];
    problemIds = [];
    problemList.hidden = true;
    problemList.replaceChildren();
  }

  return {
    modeler,
    async open(xml) {
      clearProblems();
      pathIds = [];
      const result = await modeler.importXML(xml);
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      return result;
    },
    async save() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml;
    },
    on(event, fn) {
      if (!listeners[event]) throw new Error(`onbekende gebeurtenis ${event}`);
      listeners[event].push(fn);
    },
    selection: () => describe(selected),
    // [{element_id, message}]: a red marker with the messages on each element; problems
    // without a (known) element are listed above the canvas.
    setProblems(problems) {
      clearProblems();
      const registry = modeler.get('elementRegistry');
      const overlays = modeler.get('overlays');
      const cv = modeler.get('canvas');
      const byElement = new Map();
      const loose = [];
      for (const problem of problems || []) {
        const id = problem.element_id;
        if (id && registry.get(id)) {
          if (!byElement.has(id)) byElement.set(id, []);
          byElement.get(id).push(problem.message);
        } else {
          loose.push(id ? `${id}: ${problem.message}` : problem.message);
        }
      }
      for (const [id, messages] of byElement) {
        cv.addMarker(id, PROBLEM_MARKER);
        problemIds.push(id);
        const badge = el('div', { className: 'vht-probleem-overlay', tabIndex: 0,
          title: messages.join('\n'), 'aria-label': `Probleem: ${messages.join(' ')}` },
        el('span', { className: 'vht-probleem-teken' }, String(messages.length)),
        el('ul', { className: 'vht-probleem-uitleg' }, ...messages.map((m) => el('li', {}, m))));
        problemOverlays.push(overlays.add(id, 'vht-probleem', { position: { top: -12, right: 12 }, html: badge }));
      }
      if (loose.length) {
        problemList.replaceChildren(el('p', {}, 'Problemen in het diagram als geheel:'),
          el('ul', {}, ...loose.map((m) => el('li', {}, m))));
        problemList.hidden = false;
      }
      return { onElements: byElement.size, loose: loose.length };
    },
    // bpmnlint's recommended rules (.bpmnlintrc), shown as the plugin's markers; resolves to
    // the issues as a list [{element_id, rule, message, category}].
    async lint() {
      const linting = modeler.get('linting');
      if (!linting.isActive()) linting.toggle(true);
      const byRule = await linting.lint();
      return Object.entries(byRule).flatMap(([rule, reports]) => reports.map((r) => ({
        element_id: r.id || null, rule, message: r.message, category: r.category,
      })));
    },
    showPath(ids) {
      this.clearPath();
      const registry = modeler.get('elementRegistry');
      const cv = modeler.get('canvas');
      pathIds = (ids || []).filter((id) => registry.get(id));
      pathIds.forEach((id) => cv.addMarker(id, PATH_MARKER));
      return pathIds.length;
    },
    clearPath() {
      const cv = modeler.get('canvas');
      pathIds.forEach((id) => cv.removeMarker(id, PATH_MARKER));
      pathIds = [];
    },
    destroy() {
      modeler.destroy();
      problemList.remove();
    },
  };
}
