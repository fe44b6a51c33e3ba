"""In real chromium: the auditor opens a case, is asked the reason of access first ("Anders"
without an explanation is refused), then sees the case and, through "Wie heeft deze casus
ingezien", finds his own read with his reason in the access log."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.procedures.driver import casus
from tests.web.helpers import P0

pytestmark = pytest.mark.e2e


def test_the_auditor_gives_a_reason_and_finds_his_read(live_server, page):
    base_url, service = live_server
    case = service.start_case(P0, casus(), "anna")
    reference = service.case(case.id).referentie

    page.goto(base_url + "/inloggen")
    page.fill("#gebruikersnaam", "ahmed")
    page.fill("#wachtwoord", "ahmed-demo")
    page.click("form button[type=submit]")
    page.goto(f"{base_url}/casussen/{case.id}")

    expect(page.locator("h1")).to_have_text(f"Reden van inzage: casus {reference}")
    page.get_by_role("radio", name="Anders").check()
    page.click("form.reden-inzage button[type=submit]")
    expect(page.locator(".melding.fout")).to_have_text("Bij 'Anders' is een toelichting verplicht.")
    page.get_by_role("radio", name="Kwaliteitsonderzoek").check()
    page.click("form.reden-inzage button[type=submit]")
    expect(page.locator("h1")).to_have_text(re.compile(rf"^Casus {reference}"))

    page.get_by_role("link", name="Wie heeft deze casus ingezien").click()
    expect(page.locator("h1")).to_have_text("Toegangslog")
    row = page.locator("table.toegangslog tbody tr", has_text="casuspagina").filter(has_text="Ahmed")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kwaliteitsonderzoek")
    expect(row).to_contain_text(reference)
    expect(row.locator("td").first).to_have_text(re.compile(r"^\d\d-\d\d-\d{4} \d\d:\d\d:\d\d$"))
