// Imports each diagram the way bpmn-js does (bpmn-moddle + the Camunda descriptor) and checks
// that the import gives no warnings and that every flow node, lane, participant and sequence
// flow has its shape or edge in the diagram interchange. Exit 1 on any finding.
import { readFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };

const moddle = new BpmnModdle({ camunda });
let failures = 0;

function collect(element, out) {
  for (const child of element.flowElements || []) {
    out.push(child);
    if (child.flowElements) collect(child, out);
  }
  for (const lane of (element.laneSets || []).flatMap((s) => s.lanes || [])) out.push(lane);
  return out;
}

for (const file of process.argv.slice(2)) {
  const xml = readFileSync(file, 'utf8');
  const { rootElement, warnings } = await moddle.fromXML(xml);
  const problems = warnings.map((w) => `import warning: ${w.message}`);
  const drawn = new Set();
  for (const diagram of rootElement.diagrams || []) {
    for (const el of diagram.plane.planeElement || []) {
      if (el.bpmnElement) drawn.add(el.bpmnElement.id);
    }
  }
  const elements = [];
  for (const root of rootElement.rootElements) {
    if (root.$type === 'bpmn:Process') collect(root, elements);
    if (root.$type === 'bpmn:Collaboration') elements.push(...(root.participants || []));
  }
  for (const el of elements) {
    if (el.$type === 'bpmn:DataObject') continue;
    if (!drawn.has(el.id)) problems.push(`no shape or edge for ${el.$type} ${el.id}`);
  }
  if (problems.length) {
    failures += 1;
    console.log(`${file}:`);
    for (const p of problems) console.log(`  ${p}`);
  }
}
if (failures) process.exit(1);
console.log(`${process.argv.length - 2} diagram(s) import cleanly with complete diagram interchange`);
