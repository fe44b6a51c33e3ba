// createFormEditor({container, preview, definition, previewUrl, csrfToken}): edits one form
// definition (forms/README.md) and shows it, debounced, as the server renders it for a
// professional. Properties the editor has no control for (not_before, working_day, ...) are
// kept as they are.
import { debounce, el } from './util.js';

export const FIELD_TYPES = [
  ['text', 'Tekst (één regel)'],
  ['long_text', 'Tekst (meerdere regels)'],
  ['date', 'Datum'],
  ['datetime', 'Datum en tijd'],
  ['number', 'Getal'],
  ['yes_no', 'Ja/nee'],
  ['choice', 'Keuze (één)'],
  ['multiple_choice', 'Keuze (meerdere)'],
  ['list', 'Lijst (rijen)'],
  ['user', 'Persoon kiezen'],
];
const WITH_OPTIONS = new Set(['choice', 'multiple_choice']);
const SCOPES = [['gemeente', 'gemeente van de casus'], ['gemeente_of_regionaal', 'gemeente of regionaal'],
  ['organisatie', 'organisatie'], ['regio', 'hele regio']];
const NAME = /^[a-z][a-z0-9_]*$/;

const clone = (value) => JSON.parse(JSON.stringify(value));

// Problems the browser can see itself, [{field, message}] (field null: the form as a whole).
export function checkDefinition(definition) {
  const problems = [];
  if (!String(definition.title || '').trim()) problems.push({ field: null, message: 'Het formulier heeft een titel nodig.' });
  const fields = definition.fields || [];
  const names = fields.map((f) => f.name);
  const checkField = (f, where, siblings) => {
    const at = (message) => problems.push({ field: where, message });
    if (!NAME.test(f.name || '')) at('De veldnaam bestaat uit kleine letters, cijfers en _, en begint met een letter.');
    else if (siblings.filter((n) => n === f.name).length > 1) at(`De veldnaam '${f.name}' komt vaker voor.`);
    if (!String(f.label || '').trim()) at('Het veld heeft een label nodig.');
    if (WITH_OPTIONS.has(f.type)) {
      const options = f.options || [];
      if (!options.length) at('Een keuzeveld heeft minstens één keuze nodig.');
      const values = options.map((o) => o.value);
      if (options.some((o) => !String(o.value || '').trim() || !String(o.label || '').trim())) at('Elke keuze heeft een waarde en een label.');
      if (new Set(values).size !== values.length) at('Twee keuzes hebben dezelfde waarde.');
    }
    if (f.type === 'list') {
      const items = f.item_fields || [];
      if (!items.length) at('Een lijst heeft minstens één veld per rij nodig.');
      const itemNames = items.map((i) => i.name);
      items.forEach((item) => checkField(item, where, itemNames));
    }
    if (f.type === 'user' && !f.role) at('Kies de rol van de personen die gekozen kunnen worden.');
    if (f.show_if) {
      if (!names.includes(f.show_if.field) || f.show_if.field === f.name) at('"Alleen tonen als" verwijst naar een veld dat er niet is.');
    }
  };
  fields.forEach((f) => checkField(f, f.name, names));
  return problems;
}

// A typed show_if value as the JSON the form expects: ja/nee and numbers are not text.
function parseValue(text, target) {
  const t = String(text).trim();
  if (target && target.type === 'yes_no') return t === 'true' || t === 'ja';
  if (target && target.type === 'number' && t !== '' && !Number.isNaN(Number(t))) return Number(t);
  return t;
}

function showValue(value) {
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (Array.isArray(value)) return value.join(', ');
  return value === undefined || value === null ? '' : String(value);
}

export function createFormEditor({ container, preview, definition, previewUrl, csrfToken }) {
  let model = clone(definition || { title: '', fields: [] });
  if (!Array.isArray(model.fields)) model.fields = [];
  const listeners = [];
  let serverProblems = [];
  let previewSeq = 0;

  const root = el('div', { className: 'vht-formeditor' });
  container.replaceChildren(root);

  function changed({ rerender = false } = {}) {
    if (rerender) render();
    else showProblems();
    listeners.forEach((fn) => fn(getDefinition()));
    schedulePreview();
  }

  function input(label, value, onInput, props = {}) {
    const id = `fe-${Math.random().toString(36).slice(2, 9)}`;
    const control = props.multiline
      ? el('textarea', { id, rows: 2, value: value ?? '', oninput: (e) => onInput(e.target.value) })
      : el('input', { id, type: props.type || 'text', value: value ?? '', oninput: (e) => onInput(e.target.value),
        className: props.className });
    return el('div', { className: 'vht-fe-invoer' }, el('label', { htmlFor: id }, label), control);
  }

  function select(label, value, choices, onChange) {
    const id = `fe-${Math.random().toString(36).slice(2, 9)}`;
    const control = el('select', { id, onchange: (e) => onChange(e.target.value) },
      ...choices.map(([v, l]) => el('option', { value: v, selected: v === value }, l)));
    return el('div', { className: 'vht-fe-invoer' }, el('label', { htmlFor: id }, label), control);
  }

  function checkbox(label, checked, onChange) {
    return el('label', { className: 'vht-fe-vinkje' },
      el('input', { type: 'checkbox', checked: !!checked, onchange: (e) => onChange(e.target.checked) }), ` ${label}`);
  }

  function setOptional(obj, key, value) {
    if (value === '' || value === undefined || value === null) delete obj[key];
    else obj[key] = value;
  }

  function optionsEditor(field) {
    field.options = field.options || [];
    const rows = field.options.map((option, i) => el('li', { className: 'vht-fe-keuze' },
      input('Waarde', option.value, (v) => { option.value = v; changed(); }),
      input('Label', option.label, (v) => { option.label = v; changed(); }),
      el('button', { type: 'button', className: 'link', onclick: () => { field.options.splice(i, 1); changed({ rerender: true }); } },
        'Keuze verwijderen')));
    return el('fieldset', { className: 'vht-fe-keuzes' }, el('legend', {}, 'Keuzes'),
      el('ol', {}, ...rows),
      el('button', { type: 'button', onclick: () => { field.options.push({ value: '', label: '' }); changed({ rerender: true }); } },
        'Keuze toevoegen'));
  }

  function showIfEditor(field, siblings) {
    const others = siblings.filter((f) => f !== field && f.name);
    const cond = field.show_if;
    const parts = [select('Alleen tonen als', cond ? cond.field : '', [['', '— altijd tonen —'], ...others.map((f) => [f.name, f.label || f.name])],
      (name) => {
        if (!name) delete field.show_if;
        else field.show_if = { field: name, equals: (cond && cond.equals) ?? '' };
        changed({ rerender: true });
      })];
    if (cond) {
      const op = 'in' in cond ? 'in' : 'contains' in cond ? 'contains' : 'equals';
      const target = siblings.find((f) => f.name === cond.field);
      parts.push(select('is', op, [['equals', 'gelijk aan'], ['in', 'een van (komma-gescheiden)'], ['contains', 'bevat (meerdere keuzes)']],
        (newOp) => {
          const value = cond[op];
          delete cond.equals; delete cond.in; delete cond.contains;
          cond[newOp] = newOp === 'in' ? [].concat(value ?? []).filter((v) => v !== '') : Array.isArray(value) ? value[0] ?? '' : value;
          changed({ rerender: true });
        }));
      const hint = target && target.type === 'yes_no' ? ' (true of false)' : '';
      parts.push(input(`Waarde${hint}`, showValue(cond[op]), (text) => {
        cond[op] = op === 'in' ? text.split(',').map((t) => parseValue(t, target)).filter((v) => v !== '') : parseValue(text, target);
        changed();
      }));
    }
    return el('div', { className: 'vht-fe-toon-als' }, ...parts);
  }

  function typeSpecific(field) {
    const parts = [];
    if (WITH_OPTIONS.has(field.type)) parts.push(optionsEditor(field));
    if (field.type === 'number') {
      parts.push(input('Minimum', field.min ?? '', (v) => { setOptional(field, 'min', v === '' ? '' : Number(v)); changed(); }, { type: 'number' }));
      parts.push(input('Maximum', field.max ?? '', (v) => { setOptional(field, 'max', v === '' ? '' : Number(v)); changed(); }, { type: 'number' }));
    }
    if (field.type === 'text') {
      parts.push(select('Soort tekst', field.format || '', [['', 'vrije tekst'], ['email', 'e-mailadres'], ['telefoon_of_email', 'telefoon of e-mail']],
        (v) => { setOptional(field, 'format', v); changed(); }));
    }
    if (field.type === 'multiple_choice' || field.type === 'list') {
      parts.push(input('Minimaal aantal', field.min_items ?? '', (v) => { setOptional(field, 'min_items', v === '' ? '' : Number(v)); changed(); }, { type: 'number' }));
    }
    if (field.type === 'user') {
      parts.push(input('Rol', field.role || '', (v) => { setOptional(field, 'role', v.trim()); changed(); }));
      parts.push(select('Uit', field.scope || 'gemeente', SCOPES, (v) => { field.scope = v; changed(); }));
      parts.push(checkbox('meer personen', field.multiple, (v) => { setOptional(field, 'multiple', v || ''); changed(); }));
      if (!field.scope) field.scope = 'gemeente';
    }
    return parts;
  }

  function fieldCard(field, index, siblings, { nested = false, where } = {}) {
    const move = (delta) => {
      const j = index + delta;
      if (j < 0 || j >= siblings.length) return;
      [siblings[index], siblings[j]] = [siblings[j], siblings[index]];
      changed({ rerender: true });
    };
    let card = null;
    card = el('fieldset', { className: 'vht-fe-veld', 'data-veld': where ?? field.name ?? '' },
      el('legend', {}, `${nested ? 'Rijveld' : 'Veld'} ${index + 1}: ${field.label || field.name || 'nieuw'}`),
      el('div', { className: 'vht-fe-rij' },
        input('Naam', field.name, (v) => {
          field.name = v.trim();
          if (!nested) card.dataset.veld = field.name;
          changed();
        }, { className: 'vht-fe-naam' }),
        select('Type', field.type, FIELD_TYPES, (v) => {
          field.type = v;
          if (!WITH_OPTIONS.has(v)) delete field.options;
          if (v !== 'list') delete field.item_fields;
          if (v === 'list') field.item_fields = field.item_fields || [{ name: 'omschrijving', type: 'text', label: 'Omschrijving' }];
          changed({ rerender: true });
        }),
        checkbox('verplicht', field.required, (v) => { setOptional(field, 'required', v || ''); changed(); })),
      input('Label', field.label, (v) => { field.label = v; changed(); }),
      input('Hulptekst', field.help, (v) => { setOptional(field, 'help', v); changed(); }, { multiline: true }),
      ...typeSpecific(field),
      nested ? null : showIfEditor(field, siblings),
      field.type === 'list' ? itemFieldsEditor(field) : null,
      el('ul', { className: 'vht-fe-problemen meldingen', hidden: true }),
      el('div', { className: 'vht-fe-knoppen' },
        el('button', { type: 'button', onclick: () => move(-1), disabled: index === 0 }, 'Omhoog'),
        el('button', { type: 'button', onclick: () => move(1), disabled: index === siblings.length - 1 }, 'Omlaag'),
        el('button', { type: 'button', className: 'gevaar', onclick: () => { siblings.splice(index, 1); changed({ rerender: true }); } },
          nested ? 'Rijveld verwijderen' : 'Veld verwijderen')));
    return card;
  }

  function itemFieldsEditor(field) {
    field.item_fields = field.item_fields || [];
    return el('div', { className: 'vht-fe-rijvelden' },
      el('p', {}, 'Velden per rij:'),
      ...field.item_fields.map((item, i) => fieldCard(item, i, field.item_fields, { nested: true, where: field.name })),
      el('button', { type: 'button', onclick: () => { field.item_fields.push({ name: '', type: 'text', label: '' }); changed({ rerender: true }); } },
        'Rijveld toevoegen'));
  }

  function render() {
    const fields = model.fields;
    root.replaceChildren(
      el('ul', { className: 'vht-fe-problemen vht-fe-formulier-problemen meldingen', hidden: true }),
      input('Titel', model.title, (v) => { model.title = v; changed(); }),
      input('Uitleg boven het formulier', model.description, (v) => { setOptional(model, 'description', v); changed(); }, { multiline: true }),
      el('div', { className: 'vht-fe-velden' }, ...fields.map((f, i) => fieldCard(f, i, fields))),
      el('button', { type: 'button', className: 'vht-fe-veld-toevoegen', onclick: () => {
        let n = fields.length + 1;
        while (fields.some((f) => f.name === `veld_${n}`)) n += 1;
        fields.push({ name: `veld_${n}`, type: 'text', label: '' });
        changed({ rerender: true });
      } }, 'Veld toevoegen'));
    showProblems();
  }

  function showProblems() {
    const all = [...checkDefinition(model), ...serverProblems];
    root.querySelectorAll('.vht-fe-problemen').forEach((list) => { list.replaceChildren(); list.hidden = true; });
    root.querySelectorAll('.vht-fe-veld.heeft-fout').forEach((card) => card.classList.remove('heeft-fout'));
    const top = root.querySelector('.vht-fe-formulier-problemen');
    const seen = new Set();
    for (const { field, message } of all) {
      const key = `${field}|${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Every card with that name (two fields with one name both show it).
      const cards = field ? [...root.querySelectorAll('.vht-fe-velden > .vht-fe-veld')].filter((c) => c.dataset.veld === field) : [];
      const lists = cards.length ? cards.map((card) => card.querySelector(':scope > .vht-fe-problemen')) : [top];
      cards.forEach((card) => card.classList.add('heeft-fout'));
      for (const list of lists) {
        list.append(el('li', {}, field && !cards.length ? `${field}: ${message}` : message));
        list.hidden = false;
      }
    }
    return all;
  }

  async function refreshPreview() {
    if (!preview || !previewUrl) return;
    const seq = ++previewSeq;
    let answer;
    try {
      const response = await fetch(previewUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken || '' },
        body: JSON.stringify({ definition: getDefinition() }),
        credentials: 'same-origin',
      });
      answer = await response.json().catch(() => ({ problems: [{ field: null, message: `Voorbeeld niet beschikbaar (${response.status}).` }] }));
    } catch (error) {
      answer = { problems: [{ field: null, message: 'Voorbeeld niet beschikbaar: geen verbinding met de server.' }] };
    }
    if (seq !== previewSeq) return; // an older answer after a newer question
    serverProblems = answer.problems || [];
    if (answer.html !== undefined) {
      // The server's own rendering of the real task-form template (escaped by Jinja).
      preview.innerHTML = answer.html;
      // The task page's own behaviour (show_if, rows of a list), so the preview acts as the form will.
      const form = preview.querySelector('form.formulier');
      if (form && window.VhtFormulier) window.VhtFormulier.setUp(form);
      if (form) form.addEventListener('submit', (event) => event.preventDefault());
      preview.classList.remove('verouderd');
    } else {
      preview.classList.add('verouderd');
    }
    showProblems();
    preview.dispatchEvent(new CustomEvent('vht:voorbeeld', { detail: answer }));
  }
  const schedulePreview = debounce(refreshPreview, 300);

  function getDefinition() {
    return clone(model);
  }

  render();
  schedulePreview();
  return {
    getDefinition,
    setDefinition(next) { model = clone(next); serverProblems = []; render(); schedulePreview(); },
    problems: () => [...checkDefinition(model), ...serverProblems],
    onChange(fn) { listeners.push(fn); },
    refreshPreview,
    destroy() { root.remove(); },
  };
}
