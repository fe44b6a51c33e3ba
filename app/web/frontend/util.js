// Small DOM helpers shared by the components (no framework).

// el('div', {className: 'x', onclick: fn, 'aria-label': 'y'}, child, 'text', ...)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key in node && !key.includes('-')) node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// The words of bpmn-js, the properties panel and bpmnlint's button that a process owner sees
// most; the rest stays as the library says it.
const DUTCH = {
  'Activate hand tool': 'Handgereedschap',
  'Activate lasso tool': 'Lasso-selectie',
  'Activate create/remove space tool': 'Ruimte maken of weghalen',
  'Activate global connect tool': 'Verbinden',
  'Create start event': 'Startgebeurtenis maken',
  'Create end event': 'Eindgebeurtenis maken',
  'Create intermediate/boundary event': 'Tussengebeurtenis maken',
  'Create gateway': 'Gateway maken',
  'Create task': 'Taak maken',
  'Create data object reference': 'Data-object maken',
  'Create data store reference': 'Gegevensopslag maken',
  'Create expanded sub-process': 'Uitgeklapt subproces maken',
  'Create pool/participant': 'Pool maken',
  'Create group': 'Groep maken',
  'Append task': 'Taak toevoegen',
  'Append end event': 'Eindgebeurtenis toevoegen',
  'Append gateway': 'Gateway toevoegen',
  'Append intermediate/boundary event': 'Tussengebeurtenis toevoegen',
  'Append text annotation': 'Notitie toevoegen',
  'Change element': 'Element wijzigen',
  'Change type': 'Type wijzigen',
  'Connect to other element': 'Verbinden met ander element',
  'Connect using association': 'Verbinden met associatie',
  'Connect using sequence/message flow or association': 'Verbinden',
  'Delete': 'Verwijderen',
  'Add lane above': 'Lane erboven',
  'Add lane below': 'Lane eronder',
  'Divide into two lanes': 'In twee lanes verdelen',
  'Divide into three lanes': 'In drie lanes verdelen',
  'General': 'Algemeen',
  'Name': 'Naam',
  'ID': 'ID',
  'Documentation': 'Documentatie',
  'Element documentation': 'Documentatie van het element',
  'User assignment': 'Toewijzing',
  'Assignee': 'Toegewezen aan (assignee)',
  'Candidate groups': 'Kandidaat-groepen (rollen)',
  'Candidate users': 'Kandidaat-gebruikers',
  'Due date': 'Deadline (dueDate)',
  'Follow up date': 'Opvolgdatum',
  'Priority': 'Prioriteit',
  'Forms': 'Formulier',
  'Form key': 'Formuliersleutel (formKey)',
  'Timer': 'Timer',
  'Condition': 'Voorwaarde',
  'Conditional expression': 'Voorwaarde-expressie',
  'Start initiator': 'Starter',
  'Candidate starter groups': 'Wie mag starten (rollen)',
  'Candidate starter users': 'Wie mag starten (gebruikers)',
  'Toggle linting overlays': 'Controle (bpmnlint) aan/uit',
  'No Issues': 'Geen meldingen',
  '{errors} Errors, {warnings} Warnings': '{errors} fouten, {warnings} waarschuwingen',
  'Issues for child elements': 'Meldingen bij onderliggende elementen',
};

export function translate(template, replacements) {
  const text = DUTCH[template] || template;
  return text.replace(/{([^}]+)}/g, (match, key) => (replacements && key in replacements ? replacements[key] : match));
}

export function downloadText(filename, text, type = 'application/xml') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
