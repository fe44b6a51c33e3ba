"""The process owner's modeler in real chromium, as pieter through /beheer/processen: every
diagram in processes/ survives an open-and-save with no change of its identity (so no new
version), a changed task name changes it, and the form editor's preview is the real task form."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.engine.canonical import diagram_identity

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))

OPEN_AND_SAVE = """async (xml) => {
  const m = window.VhtModelerPage.modeler;
  const { warnings } = await m.open(xml);
  return { warnings: warnings.map(String), xml: await m.save() };
}"""


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/inloggen")
    page.fill("#gebruikersnaam", username)
    page.fill("#wachtwoord", f"{username}-demo")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/werkbak"))


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


def test_pages_are_for_process_owners_only(live_server, page):
    base_url, _service = live_server
    log_in(page, base_url, "anna")
    response = page.goto(f"{base_url}/beheer/processen")
    assert response.status == 403
    response = page.goto(f"{base_url}/beheer/processen/p3_interventiegesprek/versies/1.bpmn")
    assert response.status == 403
