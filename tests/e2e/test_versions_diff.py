"""The comparison of two versions in real chromium, as pieter: from the version list to the compare
page, where the task renamed in version 2 is coloured as changed in both diagrams (bpmn-js-differ's
marker on the SVG element) and listed with its old and new name; nothing refused by the CSP."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.service import deploy

pytestmark = pytest.mark.e2e

P3 = "p3_interventiegesprek"
P3_FILE = "processes/p3_interventiegesprek.bpmn"
TASK = "Task_InterventiegesprekVoeren"


def deploy_renamed_task(service) -> None:
    tree = service.source_tree()
    xml = tree.files[P3_FILE]
    assert 'name="Interventiegesprek voeren"' in xml
    changed = tree.overlay({P3_FILE: xml.replace('name="Interventiegesprek voeren"', 'name="Interventiegesprek leiden"', 1)})
    with service.ctx.transaction() as session:
        result = deploy.deploy_tree(session, changed, "pieter", "Naam van de gesprekstaak verduidelijkt", service.ctx.now())
    # The procedures that call P3 get a new version too (their bundle changed)
    assert (P3, 2) in [(d.process_id, d.version) for d in result if d.new]


def test_compare_two_versions_colours_the_renamed_task(live_server, page):
    base_url, service = live_server
    deploy_renamed_task(service)
    errors: list[str] = []
    csp: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script("""document.addEventListener('securitypolicyviolation', (e) => {
      console.warn('CSP-VIOLATION ' + e.violatedDirective);
    });""")
    page.on("console", lambda m: csp.append(m.text) if m.text.startswith("CSP-VIOLATION") else None)

    page.goto(base_url + "/inloggen")
    page.fill("#gebruikersnaam", "pieter")
    page.fill("#wachtwoord", "pieter-demo")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/werkbak"))

    page.goto(f"{base_url}/beheer/processen/{P3}/versies")
    expect(page.locator("#versie-2")).to_contain_text("Naam van de gesprekstaak verduidelijkt")
    page.click("form.vergelijk-keuze button[type=submit]")  # van 1 naar 2 is what the list proposes
    expect(page).to_have_url(re.compile(r"/versies/vergelijk\?van=1&naar=2$"))
    root = page.locator("#versies-vergelijk")
    expect(root).to_have_attribute("data-geladen", "ja", timeout=20_000)

    # The renamed task carries the 'changed' marker on its SVG group in both diagrams; its
    # neighbours do not.
    for side in ("#diagram-a", "#diagram-b"):
        task = page.locator(f'{side} g.djs-element[data-element-id="{TASK}"]')
        expect(task).to_have_class(re.compile(r"\bvht-diff-gewijzigd\b"))
        expect(page.locator(f'{side} g.djs-element[data-element-id="Task_Voorbespreking"]')).not_to_have_class(
            re.compile(r"vht-diff-"))
    colour = page.evaluate(f"""() => getComputedStyle(document.querySelector(
        '#diagram-b g[data-element-id="{TASK}"] .djs-visual > :first-child')).stroke""")
    assert colour == "rgb(239, 108, 0)"  # the legend's orange for 'gewijzigd'

    row = page.locator(f'#diagram-wijzigingen tr[data-element="{TASK}"]')
    expect(row).to_contain_text("gewijzigd")
    expect(row).to_contain_text("naam")
    expect(row.locator("del")).to_have_text("Interventiegesprek voeren")
    expect(row.locator("ins")).to_have_text("Interventiegesprek leiden")
    assert page.locator("#diagram-wijzigingen tbody tr").count() == 1
    expect(page.locator("#bundel-gelijk")).to_be_visible()
    assert errors == []
    assert csp == []
