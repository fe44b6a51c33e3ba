// createDiff({left, right, xmlA, xmlB}) -> Promise of [{id, name, kind, attrs}]: two NavigatedViewers side by side, the older version
// (A) left and the newer (B) right; added elements green (right), removed red (left), changed
// orange (both), as bpmn-js-differ compares the two diagrams' semantics.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import { diff } from 'bpmn-js-differ';

const MARKERS = { toegevoegd: 'vht-diff-toegevoegd', verwijderd: 'vht-diff-verwijderd', gewijzigd: 'vht-diff-gewijzigd' };

function nameOf(element) {
  return (element && (element.name || (element.$attrs && element.$attrs.name))) || '';
}

export async function createDiff({ left, right, xmlA, xmlB }) {
  const options = { moddleExtensions: { camunda: camundaModdle } };
  const viewerA = new NavigatedViewer({ container: left, ...options });
  const viewerB = new NavigatedViewer({ container: right, ...options });
  await viewerA.importXML(xmlA);
  await viewerB.importXML(xmlB);
  viewerA.get('canvas').zoom('fit-viewport');
  viewerB.get('canvas').zoom('fit-viewport');

  const result = diff(viewerA.getDefinitions(), viewerB.getDefinitions());
  const changes = [];
  const mark = (viewer, id, kind) => {
    if (viewer.get('elementRegistry').get(id)) viewer.get('canvas').addMarker(id, MARKERS[kind]);
  };
  for (const [id, element] of Object.entries(result._added)) {
    changes.push({ id, name: nameOf(element), kind: 'toegevoegd', attrs: [] });
    mark(viewerB, id, 'toegevoegd');
  }
  for (const [id, element] of Object.entries(result._removed)) {
    changes.push({ id, name: nameOf(element), kind: 'verwijderd', attrs: [] });
    mark(viewerA, id, 'verwijderd');
  }
  for (const [id, change] of Object.entries(result._changed)) {
    // bpmn-js-differ 3.2 hands its ChangeHandler (old, new) as (newValue, oldValue): turned here.
    const attrs = Object.entries(change.attrs || {}).map(([attr, values]) => ({
      attr, oud: values.newValue, nieuw: values.oldValue,
    }));
    changes.push({ id, name: nameOf(change.model), kind: 'gewijzigd', attrs });
    mark(viewerA, id, 'gewijzigd');
    mark(viewerB, id, 'gewijzigd');
  }
  const order = { verwijderd: 0, gewijzigd: 1, toegevoegd: 2 };
  changes.sort((a, b) => order[a.kind] - order[b.kind] || a.id.localeCompare(b.id));
  // The list itself is the answer (for a table); the viewers ride along for the page.
  Object.defineProperties(changes, {
    layoutChanged: { value: Object.keys(result._layoutChanged) },
    viewers: { value: [viewerA, viewerB] },
    destroy: { value() { viewerA.destroy(); viewerB.destroy(); } },
  });
  return changes;
}
