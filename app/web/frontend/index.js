// The process owners' browser components, bundled by tools/build_assets.mjs into
// /static/build/modeler.js as window.VhtModeler. The page scripts (modeler_page.js) use only
// this API, so the server side can grow without touching the components.
import { createModeler } from './modeler.js';
import { createDiff } from './diff.js';
import { createFormEditor } from './form_editor.js';
import { startModelerPage } from './modeler_page.js';
import { createViewer, startCasePathPage } from './viewer.js';

const api = { createModeler, createDiff, createFormEditor, createViewer };
window.VhtModeler = api;

// The modeler page has no inline script (CSP): it starts itself when its root element is there.
function start() {
  const root = document.getElementById('modeler-pagina');
  if (root) startModelerPage(root, api);
  const casePath = document.getElementById('casus-pad');
  if (casePath) startCasePathPage(casePath);
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

export { createModeler, createDiff, createFormEditor, createViewer };
