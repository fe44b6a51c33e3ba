"""In a real browser (issue 13, section 1): on the sending day the definitive card's task page
starts with its distribution list filled from the case (the parents and the conversation's
participants, with the addresses the case knows), shows the current card beside the form and
links to the case's Veiligheidskaart; the inbrenger adds the missing address and sends.
VHT_SCREENSHOTS=<map> keeps a screenshot of the page."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.procedures.gesprek_steps import at, organiseren, reactie_vragen, start_through_p0

from .test_interventiegesprek import log_in

pytestmark = pytest.mark.e2e

OUDERS = [{"naam": "Petra de Vries", "contact": "petra@example.org", "gezag": True},
          {"naam": "Mark de Vries", "gezag": True}]


def test_de_verzendlijst_van_de_definitieve_kaart_staat_al_klaar(clock_live_server, page):
    base_url, service, clock = clock_live_server
    case = start_through_p0(service, clock, "interventiegesprek", ouders=OUDERS)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    case.move_clock(at(2026, 3, 9, 9, 0, 1))  # the sending day, no reaction: the card says so
    task = case.task("Task_DefinitieveVkVersturen")

    log_in(page, base_url, "anna")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{base_url}/taken/{task.id}")
    if os.environ.get("VHT_SCREENSHOTS"):
        Path(os.environ["VHT_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(os.environ["VHT_SCREENSHOTS"]) / "taak_verzendlijst.png"), full_page=True)

    rows = page.locator("fieldset[data-lijst=verzendlijst_definitieve_vk] .rijen .rij")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator("input[name$='-naam']")).to_have_value("Petra de Vries")
    expect(rows.nth(0).locator("input[name$='-email']")).to_have_value("petra@example.org")
    expect(rows.nth(1).locator("input[name$='-naam']")).to_have_value("Mark de Vries")
    expect(rows.nth(2).locator("input[name$='-naam']")).to_have_value("Nina Netwerkpartner")
    expect(rows.nth(2).locator("input[name$='-rol']")).to_have_value("netwerkpartner")
    expect(page.get_by_label("Versie van de definitieve Veiligheidskaart")).to_have_count(0)

    beside = page.locator("aside section.vk-naast")
    expect(beside.locator("h2")).to_have_text("Veiligheidskaart, versie 2")
    expect(beside).to_contain_text("reactie ouders niet ontvangen (09-03-2026")
    expect(page.get_by_role("link", name=re.compile("Veiligheidskaart van casus"))).to_have_attribute(
        "href", f"/casussen/{case.case_id}/veiligheidskaart")

    rows.nth(2).locator("input[name$='-email']").fill("nina@example.org")
    page.click("button:has-text('Afronden')")
    expect(page.locator("p.melding.succes, .melding.succes").first).to_contain_text(
        "Taak 'Definitieve Veiligheidskaart versturen")
    assert "vk_definitief_verzonden" in case.sent_messages()
