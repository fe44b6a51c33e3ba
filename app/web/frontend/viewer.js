// createViewer({container, xml}): a read-only diagram (NavigatedViewer) with showPath(ids) that
// colours the elements a case or scenario passed, as the modeler does. startCasePathPage: the
// process owner's page of one case's path (/beheer/processen/<id>/casussen/<case>/pad).
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';

const PATH_MARKER = 'vht-pad';

export async function createViewer({ container, xml }) {
  const viewer = new NavigatedViewer({ container, moddleExtensions: { camunda: camundaModdle } });
  await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport');
  let marked = [];
  return {
    viewer,
    showPath(ids) {
      const registry = viewer.get('elementRegistry');
      const canvas = viewer.get('canvas');
      marked.forEach((id) => canvas.removeMarker(id, PATH_MARKER));
      marked = (ids || []).filter((id) => registry.get(id));
      marked.forEach((id) => canvas.addMarker(id, PATH_MARKER));
      return marked.length;
    },
    destroy() { viewer.destroy(); },
  };
}

export async function startCasePathPage(root) {
  for (const box of root.querySelectorAll('.casus-pad-diagram')) {
    try {
      const response = await fetch(box.dataset.xmlUrl, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(String(response.status));
      const view = await createViewer({ container: box, xml: await response.text() });
      box.dataset.gekleurd = String(view.showPath(JSON.parse(box.dataset.pad || '[]')));
    } catch (error) {
      box.textContent = `Het diagram kon niet worden geladen (${error.message}).`;
    }
  }
}
