// The modeler page (/beheer/processen/<id>/modeler): the diagram with its properties panel, the
// form editor for the selected user task, download and upload of the .bpmn, and the work in a
// concept: save (button, Ctrl+S) with the product's checks as markers, scenarios with their path
// on the diagram, and the way to "In gebruik nemen…". The page's data comes from data attributes
// of #modeler-pagina (no inline script under the CSP). The state is on window.VhtModelerPage.
import { downloadText, el } from './util.js';
import { startConcept } from './modeler_concept.js';

function status(root, text, kind = 'info') {
  const box = root.querySelector('#modeler-status');
  if (!box) return;
  box.textContent = text;
  box.className = `melding ${kind}`;
  box.hidden = !text;
}

export async function startModelerPage(root, api) {
  const data = root.dataset;
  const formsEdited = new Map(); // formKey -> definition as shown/edited on this page
  const formsChanged = new Set(); // the formKeys whose definition changed since the last save
  const page = { modeler: null, formEditor: null, formKey: null, forms: formsEdited, ready: null, formsChanged,
    isDirty: () => dirty, markSaved: () => { dirty = false; } };
  window.VhtModelerPage = page;

  const modeler = api.createModeler({ canvas: root.querySelector('#modeler-canvas'), panel: root.querySelector('#modeler-panel') });
  page.modeler = modeler;
  let dirty = false;
  modeler.on('changed', () => { dirty = true; });

  const editorBox = root.querySelector('#formeditor');
  const previewBox = root.querySelector('#formvoorbeeld');
  const formTitle = root.querySelector('#formeditor-kop');

  function keepEditedForm() {
    if (page.formEditor && page.formKey) formsEdited.set(page.formKey, page.formEditor.getDefinition());
  }

  async function loadForm(formKey) {
    if (formsEdited.has(formKey)) return { definition: formsEdited.get(formKey), isNew: false };
    const response = await fetch(data.formUrl.replace('__key__', encodeURIComponent(formKey)), { credentials: 'same-origin' });
    if (response.status === 404) return { definition: null, isNew: true };
    if (!response.ok) throw new Error(`formulier ${formKey}: ${response.status}`);
    return { definition: await response.json(), isNew: false };
  }

  async function showFormFor(selection) {
    keepEditedForm();
    if (page.formEditor) page.formEditor.destroy();
    page.formEditor = null;
    page.formKey = null;
    previewBox.replaceChildren();
    if (!selection || !selection.isUserTask) {
      formTitle.textContent = 'Formulier';
      editorBox.replaceChildren(el('p', { className: 'hulp' }, 'Kies een gebruikerstaak in het diagram om het formulier te bewerken.'));
      return;
    }
    const taskName = selection.name || selection.id;
    if (!selection.formKey) {
      formTitle.textContent = `Formulier van "${taskName}"`;
      editorBox.replaceChildren(el('p', { className: 'hulp' },
        'Deze taak heeft nog geen formulier. Vul in het paneel bij "Formulier" een formuliersleutel (formKey) in, ',
        'bijvoorbeeld p3_nieuwe_stap; dan maakt u het formulier hier.'));
      return;
    }
    const formKey = selection.formKey;
    let loaded;
    try {
      loaded = await loadForm(formKey);
    } catch (error) {
      editorBox.replaceChildren(el('p', { className: 'melding fout' }, `Het formulier ${formKey} kon niet worden geladen.`));
      return;
    }
    const definition = loaded.definition || { title: selection.name || formKey, fields: [] };
    formTitle.textContent = `Formulier ${formKey}${loaded.isNew ? ' (nieuw)' : ''}`;
    page.formKey = formKey;
    page.formEditor = api.createFormEditor({
      container: editorBox, preview: previewBox, definition, previewUrl: data.previewUrl, csrfToken: data.csrfToken,
    });
    page.formEditor.onChange(() => { keepEditedForm(); formsChanged.add(formKey); dirty = true; });
    if (loaded.isNew) {
      formsEdited.set(formKey, page.formEditor.getDefinition());
      formsChanged.add(formKey);
      dirty = true;
    }
  }

  let lastKey = '';
  modeler.on('selection', (selection) => {
    // element.changed repeats the selection on every edit: reload the editor only when the
    // selected task or its formKey is another one.
    const key = selection ? `${selection.id}|${selection.formKey}|${selection.isUserTask}` : '';
    if (key === lastKey) return;
    lastKey = key;
    showFormFor(selection);
  });

  root.querySelector('#download-knop').addEventListener('click', async () => {
    const xml = await modeler.save();
    downloadText(`${data.processId}.bpmn`, xml);
  });
  root.querySelector('#upload-invoer').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (dirty && !window.confirm('Het diagram heeft wijzigingen. Het bestand vervangt die. Doorgaan?')) {
      event.target.value = '';
      return;
    }
    try {
      const { warnings } = await modeler.open(await file.text());
      dirty = false;
      status(root, warnings.length
        ? `${file.name} geopend, met ${warnings.length} waarschuwing(en) bij het inlezen.`
        : `${file.name} geopend.`, warnings.length ? 'fout' : 'info');
    } catch (error) {
      status(root, `${file.name} is geen BPMN-diagram dat de modeler kan lezen: ${error.message}`, 'fout');
    }
    event.target.value = '';
  });
  const lintButton = root.querySelector('#lint-knop');
  if (lintButton) {
    lintButton.addEventListener('click', async () => {
      const issues = await modeler.lint();
      const count = issues.length;
      status(root, count ? `bpmnlint: ${count} melding(en), zie de markeringen in het diagram.` : 'bpmnlint: geen meldingen.', count ? 'fout' : 'info');
    });
  }

  page.status = (text, kind) => status(root, text, kind);
  page.keepEditedForm = keepEditedForm;
  startConcept(root, page);

  page.ready = (async () => {
    const response = await fetch(data.xmlUrl, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`diagram: ${response.status}`);
    const { warnings } = await modeler.open(await response.text());
    if (warnings.length) status(root, `Het diagram is geopend met ${warnings.length} waarschuwing(en) bij het inlezen.`, 'fout');
    dirty = false;
    root.dataset.geladen = 'ja';
    showFormFor(null);
  })().catch((error) => {
    status(root, `Het diagram kon niet worden geopend: ${error.message}`, 'fout');
    throw error;
  });
  return page;
}
