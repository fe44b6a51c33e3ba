"""The process owner's modeler in real chromium, as pieter through /beheer/processen: every
diagram in processes/ survives an open-and-save with no change of its identity (so no new
version), a changed task name changes it, and the form editor's preview is the real task form."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.engine.canonical import diagram_identity
from tests.e2e.session import log_in

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))

OPEN_AND_SAVE = """async (xml) => {
  const m = window.VhtModelerPage.modeler;
  const { warnings } = await m.open(xml);
  return { warnings: warnings.map(String), xml: await m.save() };
}"""


def open_modeler(page, base_url: str, process_id: str) -> None:
    page.goto(f"{base_url}/beheer/processen")
    page.click(f"tr:has(code:text-is('{process_id}')) a:has-text('Openen in de modeler')")
    expect(page.locator("#modeler-pagina")).to_have_attribute("data-geladen", "ja")


def wait_for_name(page, element_id: str, name: str) -> None:
    page.wait_for_function("""([id, name]) => window.VhtModelerPage.modeler.modeler.get('elementRegistry')
      .get(id).businessObject.name === name""", arg=[element_id, name])


def watch_csp(page) -> list[str]:
    found: list[str] = []
    page.add_init_script("""document.addEventListener('securitypolicyviolation', (e) => {
      const t = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 200) : String(e.target);
      console.warn('CSP-VIOLATION ' + e.violatedDirective + ' ' + t);
    });""")
    page.on("console", lambda m: found.append(m.text) if m.text.startswith("CSP-VIOLATION") else None)
    return found


def test_every_diagram_survives_open_and_save(live_server, page):
    base_url, _service = live_server
    csp = watch_csp(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base_url, "pieter")
    open_modeler(page, base_url, "p3_interventiegesprek")
    # The page's own XML is the deployed version 1 of P3.
    served = page.evaluate("() => window.VhtModelerPage.modeler.save()")
    assert diagram_identity(served) == diagram_identity((ROOT / "processes/p3_interventiegesprek.bpmn").read_bytes())

    assert len(DIAGRAMS) >= 12
    for path in DIAGRAMS:
        original = path.read_text(encoding="utf-8")
        result = page.evaluate(OPEN_AND_SAVE, original)
        assert result["warnings"] == [], f"{path.name}: import warnings {result['warnings']}"
        assert diagram_identity(result["xml"]) == diagram_identity(original), f"{path.name} changed on open-and-save"
        # Saved twice: still the same (the modeler's output is a fixed point).
        again = page.evaluate(OPEN_AND_SAVE, result["xml"])
        assert diagram_identity(again["xml"]) == diagram_identity(original), path.name

    # The watermark stays.
    expect(page.locator(".bjs-powered-by")).to_be_visible()
    assert errors == []
    assert csp == []  # script-src 'self'; style-src 'self' (app/web/security.py), nothing refused


def test_a_task_name_changed_in_the_properties_panel_changes_the_identity(live_server, page):
    base_url, _service = live_server
    log_in(page, base_url, "pieter")
    open_modeler(page, base_url, "p3_interventiegesprek")
    original = (ROOT / "processes/p3_interventiegesprek.bpmn").read_text(encoding="utf-8")
    page.evaluate("""() => {
      window.__changed = 0;
      window.VhtModelerPage.modeler.on('changed', () => { window.__changed += 1; });
    }""")

    page.click("[data-element-id='Task_Voorbespreking']")
    expect(page.locator(".bio-properties-panel-header-label")).to_have_text("Voorbespreking professionals")
    page.click(".bio-properties-panel-group-header:has-text('Algemeen')")
    name = page.locator("#bio-properties-panel-name")
    name.fill("Voorbespreking met de professionals")
    wait_for_name(page, "Task_Voorbespreking", "Voorbespreking met de professionals")  # the panel debounces
    expect(page.locator("[data-element-id='Task_Voorbespreking'] text")).to_contain_text("Voorbespreking met")
    assert page.evaluate("() => window.__changed") > 0

    saved = page.evaluate("() => window.VhtModelerPage.modeler.save()")
    assert 'name="Voorbespreking met de professionals"' in saved
    assert diagram_identity(saved) != diagram_identity(original)
    # Only the name: put it back and the identity is the original one again.
    name.fill("Voorbespreking professionals")
    wait_for_name(page, "Task_Voorbespreking", "Voorbespreking professionals")
    restored = page.evaluate("() => window.VhtModelerPage.modeler.save()")
    assert diagram_identity(restored) == diagram_identity(original)


def test_form_editor_previews_the_real_task_form(live_server, page):
    base_url, _service = live_server
    log_in(page, base_url, "pieter")
    open_modeler(page, base_url, "p3_interventiegesprek")
    page.click("[data-element-id='Task_Voorbespreking']")
    expect(page.locator("#formeditor-kop")).to_have_text("Formulier p3_voorbespreking")
    preview = page.locator("#formvoorbeeld")
    expect(preview.locator("h2")).to_have_text("Voorbespreking professionals")
    expect(preview.locator("fieldset legend")).to_contain_text("Is de voorbespreking gehouden?")

    page.fill(".vht-formeditor .vht-fe-invoer:has(label:text-is('Titel')) input", "Voorbespreking (nieuw)")
    expect(preview.locator("h2")).to_have_text("Voorbespreking (nieuw)")

    # A second field with the same name: the problem at the field, the preview not replaced.
    second = page.locator(".vht-fe-velden > .vht-fe-veld").nth(1)
    second.locator(".vht-fe-naam").fill("voorbespreking_gehouden")
    expect(second.locator(".vht-fe-problemen")).to_contain_text("komt vaker voor")
    expect(page.locator(".vht-fe-formulier-problemen")).to_contain_text("dubbele veldnamen")

    second.locator(".vht-fe-naam").fill("aantekeningen")
    page.click("button:has-text('Veld toevoegen')")
    last = page.locator(".vht-fe-velden > .vht-fe-veld").last
    last.locator(".vht-fe-invoer:has(label:text-is('Type')) select").select_option("choice")
    last.locator(".vht-fe-invoer:has(label:text-is('Label')) input").fill("Wie was erbij?")
    last.locator("button:has-text('Keuze toevoegen')").click()
    last = page.locator(".vht-fe-velden > .vht-fe-veld").last
    last.locator(".vht-fe-keuze .vht-fe-invoer:has(label:text-is('Waarde')) input").fill("gezin")
    last.locator(".vht-fe-keuze .vht-fe-invoer:has(label:text-is('Label')) input").fill("Het gezin")
    expect(preview.locator("label:has-text('Het gezin') input[type=radio]")).to_have_count(1)
    definition = page.evaluate("() => window.VhtModelerPage.formEditor.getDefinition()")
    assert [f["name"] for f in definition["fields"]] == ["voorbespreking_gehouden", "aantekeningen", "veld_3"]
    assert definition["fields"][2]["options"] == [{"value": "gezin", "label": "Het gezin"}]
    # show_if kept with its typed value (true, not "true").
    assert definition["fields"][1]["show_if"] == {"field": "voorbespreking_gehouden", "equals": True}
    # The preview acts as the task page: the show_if field appears only with the answer "ja".
    shown_if = preview.locator('[data-veld="aantekeningen"]')
    expect(shown_if).to_be_hidden()
    preview.locator('[data-veld="voorbespreking_gehouden"] input[value="ja"]').check()
    expect(shown_if).to_be_visible()


def test_pages_are_for_process_owners_only(live_server, page):
    base_url, _service = live_server
    log_in(page, base_url, "anna")
    response = page.goto(f"{base_url}/beheer/processen")
    assert response.status == 403
    response = page.goto(f"{base_url}/beheer/processen/p3_interventiegesprek/versies/1.bpmn")
    assert response.status == 403


LONELY_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="los" isExecutable="true">
    <bpmn:task id="Task_Los" name="Losse taak" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="D1"><bpmndi:BPMNPlane id="P1" bpmnElement="los">
    <bpmndi:BPMNShape id="Task_Los_di" bpmnElement="Task_Los"><dc:Bounds x="100" y="100" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def test_problems_lint_path_diff_download_and_upload(live_server, page, tmp_path):
    base_url, _service = live_server
    log_in(page, base_url, "pieter")
    open_modeler(page, base_url, "p3_interventiegesprek")
    p3 = (ROOT / "processes/p3_interventiegesprek.bpmn").read_text(encoding="utf-8")

    # The product's problems: a red marker with the Dutch message at the element, the rest above.
    placed = page.evaluate("""() => window.VhtModelerPage.modeler.setProblems([
      {element_id: 'Task_Voorbespreking', message: "Rol 'netwerkpartners' bestaat niet; bedoelt u 'netwerkpartner'?"},
      {element_id: null, message: 'Parameter p3_weken ontbreekt.'},
      {element_id: 'Bestaat_niet', message: 'Element verdwenen.'}])""")
    assert placed == {"onElements": 1, "loose": 2}
    marked = page.locator(".djs-element.vht-probleem[data-element-id='Task_Voorbespreking']")
    expect(marked).to_have_count(1)
    badge = page.locator(".vht-probleem-overlay")
    expect(badge).to_have_count(1)
    badge.hover()
    expect(badge.locator(".vht-probleem-uitleg")).to_be_visible()
    expect(badge.locator(".vht-probleem-uitleg")).to_contain_text("bedoelt u 'netwerkpartner'")
    expect(page.locator(".vht-problemen-lijst")).to_contain_text("Parameter p3_weken ontbreekt.")
    expect(page.locator(".vht-problemen-lijst")).to_contain_text("Bestaat_niet: Element verdwenen.")
    page.evaluate("() => window.VhtModelerPage.modeler.setProblems([])")
    expect(marked).to_have_count(0)
    expect(page.locator(".vht-problemen-lijst")).to_be_hidden()

    # A scenario's path in colour, and gone again.
    shown = page.evaluate("""() => window.VhtModelerPage.modeler.showPath(
      ['StartEvent_Interventiegesprek', 'Task_Voorbespreking', 'niet_in_het_diagram'])""")
    assert shown == 2
    expect(page.locator(".djs-element.vht-pad")).to_have_count(2)
    page.evaluate("() => window.VhtModelerPage.modeler.clearPath()")
    expect(page.locator(".djs-element.vht-pad")).to_have_count(0)

    # Download: the .bpmn of what is on the canvas, the same diagram.
    with page.expect_download() as info:
        page.click("#download-knop")
    download = info.value
    assert download.suggested_filename == "p3_interventiegesprek.bpmn"
    assert diagram_identity(Path(download.path()).read_bytes()) == diagram_identity(p3)

    # bpmnlint's recommended rules in the browser: P3 is clean, a lonely task is not.
    page.click("#lint-knop")
    expect(page.locator("#modeler-status")).to_have_text("bpmnlint: geen meldingen.")
    lonely = tmp_path / "los.bpmn"
    lonely.write_text(LONELY_TASK, encoding="utf-8")
    page.set_input_files("#upload-invoer", str(lonely))
    expect(page.locator("#modeler-status")).to_have_text("los.bpmn geopend.")
    expect(page.locator("[data-element-id='Task_Los']")).to_have_count(1)
    issues = page.evaluate("() => window.VhtModelerPage.modeler.lint()")
    assert {"element_id": "Task_Los", "rule": "no-disconnected"} in [
        {k: i[k] for k in ("element_id", "rule")} for i in issues]
    expect(page.locator(".bjsl-overlay")).not_to_have_count(0)

    # The diff: a task renamed, one removed, one added, coloured on both sides.
    changes = page.evaluate("""async (xmlA) => {
      const m = window.VhtModelerPage.modeler;
      await m.open(xmlA);
      const modeler = m.modeler, registry = modeler.get('elementRegistry'), modeling = modeler.get('modeling');
      modeling.updateLabel(registry.get('Task_Voorbespreking'), 'Voorbespreking met het netwerk');
      const boundary = registry.get('Bericht_MomentWijzigen');
      modeling.removeElements([boundary]);
      const end = registry.filter((e) => e.type === 'bpmn:EndEvent')[0];
      const added = modeling.appendShape(end, { type: 'bpmn:Task' }, { x: end.x + 150, y: end.y + 18 }, end.parent);
      modeling.updateProperties(added, { id: 'Task_Nieuw', name: 'Nieuwe stap' });
      const xmlB = await m.save();
      const left = document.createElement('div'), right = document.createElement('div');
      for (const box of [left, right]) { box.style.width = '600px'; box.style.height = '400px'; document.body.append(box); }
      const list = await window.VhtModeler.createDiff({ left, right, xmlA, xmlB });
      window.__diff = { left, right };
      return list.map(({ id, name, kind, attrs }) => ({ id, name, kind, attrs: attrs.map((a) => a.attr) }));
    }""", p3)
    by_id = {c["id"]: c for c in changes}
    assert by_id["Task_Voorbespreking"]["kind"] == "gewijzigd"
    assert "name" in by_id["Task_Voorbespreking"]["attrs"]
    assert by_id["Bericht_MomentWijzigen"]["kind"] == "verwijderd"
    assert by_id["Task_Nieuw"] == {"id": "Task_Nieuw", "name": "Nieuwe stap", "kind": "toegevoegd", "attrs": []}
    coloured = page.evaluate("""() => ({
      removedLeft: window.__diff.left.querySelectorAll('.djs-element.vht-diff-verwijderd').length,
      addedRight: window.__diff.right.querySelectorAll('.djs-element.vht-diff-toegevoegd').length,
      changedLeft: window.__diff.left.querySelectorAll('.djs-element.vht-diff-gewijzigd').length,
      changedRight: window.__diff.right.querySelectorAll('.djs-element.vht-diff-gewijzigd').length,
      addedLeft: window.__diff.left.querySelectorAll('.vht-diff-toegevoegd').length})""")
    kinds = [c["kind"] for c in changes]
    assert coloured["removedLeft"] == kinds.count("verwijderd") >= 1
    assert coloured["addedRight"] == kinds.count("toegevoegd") >= 1
    assert coloured["changedLeft"] >= 1 and coloured["changedRight"] >= 1
    assert coloured["addedLeft"] == 0


def test_form_preview_endpoint_checks_the_definition_and_the_token(live_server, page):
    base_url, _service = live_server
    log_in(page, base_url, "pieter")
    open_modeler(page, base_url, "p3_interventiegesprek")
    token = page.get_attribute("#modeler-pagina", "data-csrf-token")
    url = f"{base_url}/beheer/formulieren/voorbeeld"
    good = {"definition": {"title": "Nieuw", "fields": [{"name": "a", "type": "text", "label": "A"}]}}

    answer = page.request.post(url, data=good, headers={"X-CSRFToken": token})
    assert answer.status == 200
    assert 'id="f-a"' in answer.json()["html"]

    assert page.request.post(url, data=good, headers={"X-CSRFToken": "fout"}).status == 400
    assert page.request.post(url, data=good).status == 400

    bad = {"definition": {"title": "Nieuw", "fields": [
        {"name": "keuze", "type": "choice", "label": "Keuze"},
        {"name": "b", "type": "text", "label": "B", "show_if": {"field": "c", "equals": "x"}}]}}
    answer = page.request.post(url, data=bad, headers={"X-CSRFToken": token})
    assert answer.status == 422
    assert {"field": "keuze", "message": "keuzeveld zonder opties"} in answer.json()["problems"]
    unknown_type = {"definition": {"title": "N", "fields": [{"name": "x", "type": "kleur", "label": "X"}]}}
    problems = page.request.post(url, data=unknown_type, headers={"X-CSRFToken": token}).json()["problems"]
    assert problems[0]["field"] == "x" and problems[0]["message"].startswith("onbekend type 'kleur'")
    show_if = {"definition": {"title": "N", "fields": [{"name": "b", "type": "text", "label": "B",
                                                           "show_if": {"field": "c", "equals": "x"}}]}}
    problems = page.request.post(url, data=show_if, headers={"X-CSRFToken": token}).json()["problems"]
    assert problems == [{"field": "b", "message": "show_if verwijst naar onbekend veld 'c'"}]
