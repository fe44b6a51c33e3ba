"""In real chromium: the auditor opens a case, gives the reason of access, plays it back to the
third step with the slider's arrow keys and sees that step's text, the diagram marked as the case
was then (the element of the step outlined, done, the next one current) and the values entered at
that step; one step back the diagram shows the earlier moment; then he finds his own reads."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.procedures.driver import casus
from tests.web.helpers import CAB, P0
from tests.e2e.session import log_in

pytestmark = pytest.mark.e2e


def _open_case(page, base_url, case_id):
    """The case page; the auditor, not involved in the case, first gives a reason of access."""
    page.goto(f"{base_url}/casussen/{case_id}")
    expect(page.locator("form.reden-inzage")).to_be_visible()
    page.get_by_role("radio", name="Kwaliteitsonderzoek").check()
    page.fill("form.reden-inzage textarea[name=toelichting]", "Controle van het dossier.")
    page.click("form.reden-inzage button[type=submit]")
    expect(page.locator("h1")).to_have_text(re.compile(r"^Casus VHT-"))


def _element(player, bpmn_id):
    return player.locator(f'.afspelen-diagrammen [data-element-id="{bpmn_id}"]').first


def test_the_auditor_plays_a_case_back_to_the_third_step(live_server, page):
    base_url, service = live_server
    case = service.start_case(P0, casus(), "anna")
    (task,) = [t for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_CabHouden"]
    service.claim(task.id, "vera")
    service.complete_task(task.id, CAB, "vera")

    log_in(page, base_url, "ahmed")
    _open_case(page, base_url, case.id)
    player = page.locator("#afspelen")
    player.get_by_role("button", name="Casus afspelen").click()
    step_text = player.locator(".stap-tekst")
    expect(step_text).to_have_attribute("aria-live", "polite")
    expect(step_text).to_contain_text("Stap 1 van 3: Procedure gestart: Consultatie- en adviesbespreking door Anna de Jong")
    expect(player.locator(".speler button", has_text="Vorige")).to_be_disabled()

    slider = player.locator("input[type=range]")
    expect(slider).to_be_focused()
    slider.press("ArrowRight")
    expect(step_text).to_contain_text("Stap 2 van 3: Taak opgepakt: Consultatie- en adviesbespreking houden door Vera de Boer")
    slider.press("ArrowRight")
    expect(step_text).to_have_text(re.compile(
        r"^Stap 3 van 3: Taak afgerond: Consultatie- en adviesbespreking houden door Vera de Boer "
        r"op \d\d-\d\d-\d{4} \d\d:\d\d:\d\d$"))
    expect(player).to_have_attribute("data-getekend", "3")
    expect(player.locator(".speler button", has_text="Volgende")).to_be_disabled()

    # The diagram as the case was after the CAB: the CAB itself outlined and done, the card next.
    cab = _element(player, "Task_CabHouden")
    expect(cab).to_have_class(re.compile(r"\bvht-stap\b"))
    expect(cab).to_have_class(re.compile(r"\bvht-afgerond\b"))
    expect(_element(player, "Task_AdviesVerwerken")).to_have_class(re.compile(r"\bvht-actief\b"))
    # The values entered at this step, by the form's labels.
    entered = player.locator(".afspelen-ingevoerd")
    expect(entered.locator('dd[data-veld="advies_tekst"]')).to_have_text(CAB["advies_tekst"])
    expect(entered).to_contain_text("Anna de Jong")  # a row of the afspraken
    expect(player.locator(".afspelen-gegevens")).to_contain_text(CAB["advies_tekst"])

    # One step back: before the CAB was held, the CAB is the current step and its values are not there.
    player.get_by_role("button", name="Vorige").click()
    expect(step_text).to_contain_text("Stap 2 van 3")
    expect(player).to_have_attribute("data-getekend", "2")
    expect(cab).to_have_class(re.compile(r"\bvht-actief\b"))
    expect(cab).not_to_have_class(re.compile(r"\bvht-afgerond\b"))
    expect(player.locator(".afspelen-gegevens")).not_to_contain_text(CAB["advies_tekst"])
    expect(player.locator(".afspelen-ingevoerd")).to_contain_text("Geen gegevens.")

    # And his own read, with the reason he gave, in the access log of the case.
    page.get_by_role("link", name="Wie heeft deze casus ingezien").click()
    expect(page.locator("h1")).to_have_text("Toegangslog")
    reads = page.locator("table.toegangslog tbody tr").filter(has_text="Ahmed")
    expect(reads.filter(has_text="casuspagina")).to_have_count(1)
    expect(reads.filter(has_text="casuspagina")).to_contain_text("Kwaliteitsonderzoek")
    expect(reads.filter(has_text="afspelen").first).to_be_attached()
