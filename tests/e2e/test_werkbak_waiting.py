"""In real chromium: the inbrenger asked the parents for their reaction on the card; her werkbak
shows the case under "Wachten op anderen" with what it waits for (the event's name in the diagram)
and until when, and the deadline column of her tasks says "uiterlijk"."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import cab, organiseren, reactie_vragen, start_through_p0
from tests.e2e.session import log_in

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("VHT_SCREENSHOTS")  # a folder: the test also leaves its screenshots there


def test_the_werkbak_shows_the_case_waiting_for_the_parents(clock_live_server, page):
    base_url, service, clock = clock_live_server
    case = start_through_p0(service, clock, "interventiegesprek")
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    other = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())  # work to do, no wait
    other.complete("Task_CabHouden", cab("interventiegesprek"))
    advice = other.task("Task_AdviesVerwerken")
    referentie = service.case(case.case_id).referentie

    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, base_url, "anna")
    page.goto(base_url + "/werkbak")
    section = page.locator("section.wachten")
    expect(section.get_by_role("heading", name="Wachten op anderen")).to_be_visible()
    row = section.locator(f'tr[data-casus="{case.case_id}"]')
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name=referentie)).to_be_visible()
    expect(row.locator("td.wacht-op")).to_have_text("Reactie ouders ontvangen")
    expect(row.locator("td.wacht-tot time")).to_have_text("09-03-2026 09:00")
    expect(row.locator("td.wacht-tot")).to_contain_text("Verzenddag definitieve VK, 09:00")
    expect(row).not_to_contain_text("reactie_ouders_ontvangen")
    expect(section.locator(f'tr[data-casus="{other.case_id}"]')).to_have_count(0)
    # Her task in the other case says which deadline it is: "uiterlijk <datum>".
    task = page.locator(f'table.taken tr.taak[data-taak="{advice.id}"]')
    expect(task.locator("td.deadline")).to_have_text(re.compile(r"^uiterlijk \d\d-\d\d-\d{4}"))
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/werkbak_wachten.png", full_page=True)

    # The link leads to the case, which says the same.
    row.get_by_role("link", name=referentie).click()
    expect(page.locator("h1")).to_have_text(f"Casus {referentie}")
    deadlines = page.locator("ul.termijnen")
    expect(deadlines).to_contain_text("Verzenddag definitieve VK, 09:00")
    expect(deadlines).not_to_contain_text("Volgende termijn in")
    if SHOTS:
        deadlines.locator("xpath=..").screenshot(path=f"{SHOTS}/casus_termijnen.png")
