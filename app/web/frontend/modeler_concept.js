// The modeler page's work in a concept: "Opslaan in concept" (create or pick one), save (button and
// Ctrl+S) with the product's checks as markers and the plan, scenarios with their path on the
// diagram, and the link to the deploy preview. Nothing is lost on a refusal or a stale revision:
// the diagram stays on the page (and can be downloaded as .bpmn).
import { el } from './util.js';

async function postJson(url, body, token) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token || '' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (error) {
    return { status: 0, answer: { bericht: 'Geen verbinding met de server. Er is niets opgeslagen; uw wijzigingen staan nog op deze pagina.' } };
  }
  const answer = await response.json().catch(() => ({ bericht: `De server antwoordde met ${response.status}.` }));
  return { status: response.status, answer };
}

function fieldErrors(answer) {
  const velden = answer.velden || {};
  return Object.values(velden).flat().join(' ');
}

export function startConcept(root, page) {
  const data = root.dataset;
  const byId = (id) => root.querySelector(`#${id}`);
  const saveButton = byId('opslaan-knop');
  const results = byId('controle-uitslag');
  const problemBox = byId('controle-problemen');
  const planBox = byId('controle-plan');
  const scenarioBox = byId('scenario-uitslag');
  let saving = null;

  const conceptId = () => data.concept || '';
  const urlFor = (template) => template.replace('__id__', encodeURIComponent(conceptId()));

  function showResults() { results.hidden = false; }

  function showCheck(answer) {
    const problems = answer.problems || [];
    // The checks name a diagram by its path in the bundle or by its file name alone.
    const inThisDiagram = (file) => file === data.diagramPath || data.diagramPath.endsWith(`/${file}`);
    const here = problems.filter((p) => p.element_id && inThisDiagram(p.file));
    const elsewhere = problems.filter((p) => !here.includes(p));
    page.modeler.setProblems(here.map((p) => ({ element_id: p.element_id, message: p.message })));
    problemBox.replaceChildren();
    if (elsewhere.length) {
      problemBox.append(el('h2', {}, 'Problemen buiten dit diagram'),
        el('ul', { className: 'meldingen problemen' }, ...elsewhere.map((p) => el('li', {},
          el('code', {}, p.file || 'bundel'), p.element ? ` (${p.element})` : '', `: ${p.message}`))));
    }
    const plan = answer.plan || [];
    planBox.replaceChildren();
    if (plan.length) {
      planBox.append(el('h2', {}, 'Bij in gebruik nemen'),
        el('ul', { className: 'plan-lijst' }, ...plan.filter((i) => i.status !== 'geen_wijziging')
          .map((i) => el('li', { 'data-status': i.status }, `${i.process_id}: ${i.label}`))));
    }
    showResults();
    return { here: here.length, elsewhere: elsewhere.length };
  }

  async function ensureConcept() {
    if (conceptId()) return true;
    const chosen = byId('concept-kiezen');
    const titleInput = byId('concept-titel');
    if (chosen && chosen.value) {
      const option = chosen.selectedOptions[0];
      // That concept may have its own version of this diagram already (edited in another tab).
      if (option.dataset.heeftDiagram === 'ja' && !window.confirm(
        `Concept "${option.textContent}" heeft al een eigen versie van dit diagram. Die wordt vervangen door het diagram op deze pagina. Doorgaan?`)) {
        return false;
      }
      data.concept = chosen.value;
      data.conceptTitel = option.textContent;
      data.revision = option.dataset.revision || ''; // a save there since this page loaded: 409
    } else {
      const titel = (titleInput ? titleInput.value : '').trim();
      if (!titel) {
        page.status('Geef het nieuwe concept een titel (waar gaat de wijziging over?), of kies een bestaand concept.', 'fout');
        if (titleInput) titleInput.focus();
        return false;
      }
      const { status, answer } = await postJson(data.createUrl, { titel }, data.csrfToken);
      if (status !== 201) {
        page.status(`Het concept is niet aangemaakt: ${answer.bericht || ''} ${fieldErrors(answer)}`.trim(), 'fout');
        return false;
      }
      data.concept = String(answer.id);
      data.conceptTitel = answer.titel;
      data.revision = String(answer.revision);
    }
    enterConceptMode();
    return true;
  }

  // The page as it is with ?concept=<id>: the URL, the forms read from the concept, the buttons.
  function enterConceptMode() {
    const url = new URL(window.location.href);
    url.searchParams.delete('versie');
    url.searchParams.set('concept', conceptId());
    window.history.replaceState(null, '', url);
    const formUrl = new URL(data.formUrl, window.location.origin);
    formUrl.searchParams.set('concept', conceptId());
    data.formUrl = formUrl.pathname + formUrl.search;
    const buttons = byId('concept-knoppen');
    buttons.querySelectorAll('label, select, input').forEach((node) => node.remove());
    saveButton.textContent = 'Opslaan';
    buttons.append(el('a', { className: 'knop', id: 'in-gebruik-link',
      href: `${urlFor(data.deployUrl)}?procedure=${encodeURIComponent(data.processId)}` }, 'In gebruik nemen…'));
    const uitleg = byId('concept-uitleg');
    if (uitleg) {
      uitleg.replaceChildren('U werkt in concept ', el('a', { id: 'concept-link', href: urlFor(data.conceptUrl) }, data.conceptTitel || conceptId()),
        '. Opslaan bewaart het diagram en de formulieren in dit concept en controleert alles; lopende casussen merken er niets van tot u het concept in gebruik neemt.');
    }
    addScenarioControls();
  }

  async function collectFiles() {
    page.keepEditedForm();
    const files = { [data.diagramPath]: await page.modeler.save() };
    // Only forms a task of the diagram still names: a formKey typed letter by letter in the panel
    // opens a new form per keystroke, and those half keys are not forms to keep.
    const used = new Set(page.modeler.modeler.get('elementRegistry').getAll()
      .map((element) => element.businessObject && element.businessObject.get && element.businessObject.get('camunda:formKey'))
      .filter(Boolean));
    for (const key of page.formsChanged) {
      if (page.forms.has(key) && used.has(key)) files[`forms/${key}.json`] = `${JSON.stringify(page.forms.get(key), null, 2)}\n`;
    }
    return files;
  }

  async function save() {
    if (saving) return saving;
    saving = (async () => {
      if (!(await ensureConcept())) return null;
      saveButton.disabled = true;
      page.status('Opslaan en controleren…', 'info');
      const sentForms = new Set(page.formsChanged);
      const files = await collectFiles();
      const revision = data.revision ? Number(data.revision) : null;
      const { status, answer } = await postJson(urlFor(data.saveUrl), { files, revision }, data.csrfToken);
      if (status === 409) {
        page.status(`${answer.bericht} Uw wijzigingen staan nog op deze pagina: download het diagram als .bpmn om ze te bewaren.`, 'fout');
        const download = byId('download-knop');
        if (download) download.classList.add('aandacht');
        return answer;
      }
      if (status !== 200) {
        if (answer.elementen) showCheck({ problems: answer.elementen.map((p) => ({ file: p.bestand, element: p.element, element_id: p.element_id, message: p.bericht })) });
        page.status(`Niet opgeslagen: ${answer.bericht || ''} ${fieldErrors(answer)}`.trim(), 'fout');
        return answer;
      }
      data.revision = String(answer.revision);
      sentForms.forEach((key) => page.formsChanged.delete(key));
      page.markSaved();
      const shown = showCheck(answer);
      let lintCount = 0;
      try {
        lintCount = (await page.modeler.lint()).length;
      } catch (error) {
        lintCount = 0; // bpmnlint is advice; the product's checks above are what count
      }
      const count = (answer.problems || []).length;
      page.status(count
        ? `Opgeslagen in concept "${data.conceptTitel}". De controle vond ${count} probleem${count === 1 ? '' : 'en'}`
          + ` (${shown.here} in dit diagram, gemarkeerd). Zo kan het nog niet in gebruik.`
        : `Opgeslagen in concept "${data.conceptTitel}". Controle: geen problemen.${lintCount ? ` bpmnlint: ${lintCount} advies.` : ''}`,
      count ? 'fout' : 'succes');
      root.dataset.opgeslagen = String(Number(root.dataset.opgeslagen || 0) + 1);
      return answer;
    })();
    try {
      return await saving;
    } finally {
      saving = null;
      saveButton.disabled = false;
    }
  }
  page.saveToConcept = save;

  saveButton.addEventListener('click', () => { save(); });
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (!page.isDirty() && !page.formsChanged.size) return;
    event.preventDefault();
    event.returnValue = ''; // the browser shows its own "leave the page?" question
  });

  // --- scenarios -------------------------------------------------------------------------------
  let scenarioSelect = byId('scenario-kiezen');

  async function loadScenarios() {
    if (!scenarioSelect) return;
    const response = await fetch(`${urlFor(data.scenariosUrl)}?procedure=${encodeURIComponent(data.processId)}`, { credentials: 'same-origin' });
    const answer = await response.json().catch(() => ({}));
    const list = answer.scenarios || [];
    scenarioSelect.replaceChildren(...(list.length
      ? list.map((s) => el('option', { value: s.name }, s.name))
      : [el('option', { value: '' }, 'geen scenario\'s voor deze procedure')]));
    scenarioSelect.dataset.geladen = 'ja';
  }

  async function runScenario() {
    const naam = scenarioSelect && scenarioSelect.value;
    if (!naam) return;
    if (page.isDirty() || page.formsChanged.size) {
      const saved = await save();
      if (!saved || saved.bericht) return;
    }
    scenarioBox.replaceChildren(el('p', {}, `Scenario "${naam}" loopt…`));
    showResults();
    const { status, answer } = await postJson(urlFor(data.runUrl), { naam }, data.csrfToken);
    if (status !== 200) {
      if (answer.elementen) showCheck({ problems: answer.elementen.map((p) => ({ file: p.bestand, element: p.element, element_id: p.element_id, message: p.bericht })) });
      scenarioBox.replaceChildren(el('p', { className: 'melding fout' }, `Scenario "${naam}" kon niet worden uitgevoerd: ${answer.bericht || status}`));
      return;
    }
    const shown = page.modeler.showPath(answer.path || []);
    scenarioBox.replaceChildren(answer.ok
      ? el('p', { className: 'melding succes', id: 'scenario-resultaat', 'data-ok': 'ja' },
        `Scenario "${naam}" geslaagd${answer.end_state ? ` (einde: ${answer.end_state})` : ''}; ${shown} elementen van het pad zijn gekleurd.`)
      : el('div', { className: 'melding fout', id: 'scenario-resultaat', 'data-ok': 'nee' },
        el('p', {}, `Scenario "${naam}" is niet geslaagd:`),
        el('ul', {}, ...(answer.problems || []).map((m) => el('li', {}, m)))));
  }

  function addScenarioControls() {
    if (scenarioSelect) return;
    const row = el('div', { className: 'modeler-knoppen scenario-knoppen' },
      el('label', { htmlFor: 'scenario-kiezen' }, 'Scenario'),
      el('select', { id: 'scenario-kiezen' }),
      el('button', { type: 'button', id: 'scenario-knop', onclick: runScenario }, 'Scenario uitvoeren'));
    byId('concept-knoppen').after(row);
    scenarioSelect = row.querySelector('select');
    loadScenarios();
  }

  if (conceptId()) {
    byId('scenario-knop').addEventListener('click', runScenario);
    loadScenarios();
  }
}
