"""In a real browser (issue 9, section 1): the parents' reaction comes a day after the sending day,
when the definitive card has gone out. Anna (inbrenger) records it on the case page; it becomes
a new version of the card with its date of receipt, and that updated card arrives as a PDF at a
loopback SMTP server for the same recipients as the definitive card and for the chair.

The steps before are driven through the service layer on a clock the test moves (as the timer
worker would): P0 with an interventiegesprek, the conversation organised with Victor chosen as
the independent chair, the parents asked, no reaction by the sending day (the product marks the
card), the definitive card sent. The mail goes out the way the worker sends it: one round of
`run_once` against the loopback server."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from app.mail import SmtpSender, SmtpSettings
from app.worker import run_once
from tests.procedures.driver import CaseDriver
from tests.procedures.gesprek_steps import at, reactie_vragen, start_through_p0, vk_versturen, zonder_reactie

from .test_interventiegesprek import log_in

pytestmark = pytest.mark.e2e

GESPREK = "2026-03-12T10:00"  # Thursday: the sending day of the definitive card is Monday 9 March
VERZENDDAG = at(2026, 3, 9)
REACTIE = "Wij zijn het oneens met punt 2: de school weet van de afspraken."
CHAIR = "victor@demo.vht.example"  # Victor Peters, chosen as the independent chair (app/demo.py)


def pdf_text(data: bytes) -> str:
    """The text of a PDF (poppler's pdftotext, as the card tests use it)."""
    if not shutil.which("pdftotext"):
        if os.environ.get("CI") == "true":
            pytest.fail("pdftotext (poppler-utils) is not installed; `make pdf-libs` installs it")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                                   check=True).stdout.decode().split())


def organise_with_victor_as_chair(case: CaseDriver) -> None:
    """sp_gesprek_organiseren, Victor (an account) chosen as the independent chair."""
    case.complete("Task_MomentPlannen", {
        "gesprek_datum": GESPREK,
        "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"},
                       {"naam": "Nina Mulder", "organisatie": "GGZ West-Brabant", "rol": "netwerkpartner"}],
    })
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Geen bijzondere risico's.",
                                                "veiligheidsmaatregelen": []})
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "onafhankelijk"})
    case.complete("Task_OnafhankelijkVoorzitterRegelen", {"voorzitter_soort": "procesregisseur",
                                                          "voorzitter_gebruiker": "victor",
                                                          "voorzitter_naam": "Victor Peters"})
    case.complete("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"})
    case.complete("Task_OudersEnJeugdigeUitnodigen", {"uitnodiging_verstuurd_op": "2026-03-03",
                                                      "uitnodiging_doel": "Samen praten over de zorgen.",
                                                      "recht_vertrouwenspersoon_vermeld": True})
    case.complete("Task_JeugdigeAfspraken", {"jeugdige_aanwezig_moment": "Het tweede half uur",
                                             "jeugdige_apart_spreken": "Vooraf, door Nina"}, actor="nina")
    assert case.open_ids() == ["Task_ReactieOudersVragen"]


def test_late_reaction_of_the_parents_reaches_the_recipients_of_the_definitive_card(clock_live_server, page, smtp):
    base_url, service, clock = clock_live_server
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=smtp.port, timeout=5))

    # 1. Through the service layer: up to the definitive card, sent on the sending day with the
    #    product's own marking "reactie ouders niet ontvangen".
    case = start_through_p0(service, clock, "interventiegesprek")
    organise_with_victor_as_chair(case)
    reactie_vragen(case)
    zonder_reactie(case, VERZENDDAG)
    vk_versturen(case)  # Mark de Vries has no address: Anna hands it over (done in vk_versturen)
    reference = case.case().referentie
    run_once(service, sender)  # the worker delivers what is due so far
    (definitive,) = [m for m in smtp.mails
                     if m["subject"] == f"Definitieve Veiligheidskaart voor het gesprek (casus {reference})"]
    assert CHAIR in definitive["to"]
    (definitive_pdf,) = [name for name in definitive["files"] if name.endswith(".pdf")]
    definitive_version = int(re.fullmatch(rf"VK-{reference}-v(\d+)\.pdf", definitive_pdf).group(1))

    # 2. The next day, in the afternoon, the parents' reaction comes in.
    case.move_clock(at(2026, 3, 10, 14, 0))
    log_in(page, base_url, "anna")
    page.goto(f"{base_url}/casussen/{case.case_id}")
    waiting = page.locator("section.wacht:not(.acties)")
    expect(waiting).to_contain_text("De casus wacht op een bericht")
    waiting.get_by_role("link", name="Reactie van ouders op de Veiligheidskaart vastleggen").click()
    expect(page.locator("h1")).to_have_text("Reactie van ouders op de Veiligheidskaart")
    # Not refused for being late: the page says what happens with it.
    notice = page.locator("article p.melding[role=status]")
    expect(notice).to_contain_text("De procedure wacht niet meer op dit bericht")
    page.fill("textarea[name=reactie_ouders]", REACTIE)
    page.fill("input[name=ontvangen_op]", "2026-03-10")
    page.click("button:has-text('Vastleggen')")
    new_version = definitive_version + 1
    expect(page.locator("p.melding.succes")).to_contain_text(
        f"De Veiligheidskaart heeft nu versie {new_version}, die opnieuw is verstuurd aan de ontvangers van de "
        "definitieve kaart en de voorzitter.")
    expect(page.locator("table.historie")).to_contain_text("Anna de Jong")

    # 3. The card page: the reaction with its date of receipt after the product's marking, and
    #    the send log names the new version.
    page.goto(f"{base_url}/casussen/{case.case_id}/veiligheidskaart")
    card = page.locator("section.vk-kaart")
    expect(card).to_contain_text("reactie ouders niet ontvangen (09-03-2026")
    expect(card).to_contain_text(f"Ontvangen op 10-03-2026:\n{REACTIE}")
    log_row = page.locator("table.vk-verzendlog tbody tr").first
    expect(log_row).to_contain_text(f"VK-{reference}-v{new_version}.pdf")

    # 4. One worker round: the updated card arrives at the SMTP server, for the same recipients as
    #    the definitive card and for the chair, as a PDF of the new version.
    before = len(smtp.mails)
    _, delivered = run_once(service, sender)
    assert delivered.failed == 0
    (updated,) = [m for m in smtp.mails[before:] if m["subject"].startswith("Bijgewerkte Veiligheidskaart")]
    assert updated["subject"] == f"Bijgewerkte Veiligheidskaart: reactie van ouders ontvangen (casus {reference})"
    assert sorted(updated["to"]) == sorted({*definitive["to"], CHAIR})
    assert "10-03-2026" in updated["body"] and "Mark de Vries (ouder)" in updated["body"]  # still by hand
    content_type, data, _ = updated["files"][f"VK-{reference}-v{new_version}.pdf"]
    assert content_type == "application/pdf" and data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Reactie van ouders" in text
    assert "Ontvangen op 10-03-2026:" in text and " ".join(REACTIE.split()) in text
    assert "reactie ouders niet ontvangen (09-03-2026" in text  # nothing lost: the marking stays
