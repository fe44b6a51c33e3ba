"""In a real browser: an inbrenger starts a case, the VeiligheidsTeam holds the consultation and
chooses an interventiegesprek (P3), and the people who own its steps carry it to its end, each
logged in as themselves (anna: inbrenger, vera: veiligheidsteam, nina: netwerkpartner, victor:
voorzitter). The parents' reaction is recorded on its page; the pre-meeting timer is moved by
firing timers at a later moment. Then the case page shows the history and the finished diagram."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from app.engine.clock import TZ
from tests.e2e.session import log_in

pytestmark = pytest.mark.e2e

SCREENSHOT = "/tmp/vht_case_page.png"
P3_END = "Eind_interventiegesprek_afgerond_vrijwillig"


def log_out(page) -> None:
    page.click("header button:has-text('Uitloggen')")
    expect(page).to_have_url(re.compile(r"/inloggen"))


def open_task(page, base_url: str, reference: str, name: str, tab: str = "mijn") -> None:
    page.goto(f"{base_url}/werkbak?tab={tab}&zoek={reference}")
    page.locator("table.taken tr", has_text=reference).get_by_role("link", name=name).click()
    expect(page.locator("h1")).to_have_text(name)


def on_task(page, name: str) -> None:
    expect(page.locator("h1")).to_have_text(name)


def radio(page, name: str, value: str) -> None:
    page.check(f"input[type=radio][name='{name}'][value='{value}']")


def complete(page) -> None:
    page.click("button[name=actie][value=afronden]")
    expect(page.locator("p.melding.succes")).to_contain_text("afgerond")


def test_interventiegesprek_van_start_tot_eind(live_server, page):
    base_url, service = live_server
    started = time.perf_counter()
    today = datetime.now(TZ).date()
    gesprek = datetime.combine(today + timedelta(days=14), datetime.min.time(), TZ).replace(hour=10)

    # 1. Anna brings in a new case (Nieuwe casus: P0, the only procedure she may start).
    log_in(page, base_url, "anna")
    page.click("nav >> text=Nieuwe casus")
    expect(page.locator("h2")).to_contain_text("Consultatie")
    page.select_option("select[name=gemeente]", "roosendaal")
    page.fill("input[name=inbrenger_organisatie]", "SPRING Roosendaal")
    page.fill("input[name='ouders-0-naam']", "Petra Jansen")
    radio(page, "ouders-0-gezag", "ja")
    page.fill("input[name='jeugdigen-0-naam']", "Sem Jansen")
    page.fill("input[name='jeugdigen-0-geboortedatum']", "2014-05-01")
    page.fill("input[name=cab_datum]", today.isoformat())
    radio(page, "maatregel", "geen")
    page.click("button:has-text('Casus starten')")
    expect(page.locator("p.melding.succes")).to_contain_text("is gestart")
    reference = page.locator("h1").inner_text().removeprefix("Casus ").strip()
    case_url = page.url
    assert re.fullmatch(r"VHT-\d{4}-\d{5}", reference)
    expect(page.locator("table.taken")).to_contain_text("Consultatie- en adviesbespreking houden")
    log_out(page)

    # 2. Vera (VeiligheidsTeam) holds the consultation and chooses only the interventiegesprek.
    log_in(page, base_url, "vera")
    open_task(page, base_url, reference, "Consultatie- en adviesbespreking houden", tab="rol")
    radio(page, "advies_type", "andere_aanpak")
    page.fill("textarea[name=advies_tekst]", "Interventiegesprek met ouders en netwerkpartners.")
    page.fill("input[name='afspraken-0-wie']", "Anna de Jong")
    page.fill("input[name='afspraken-0-wat']", "Interventiegesprek organiseren")
    page.check("input[name=interventies][value=interventiegesprek]")
    complete(page)
    log_out(page)

    # 3. Anna: the advice into the safety card, then organising the conversation, step after step
    #    (each completion leads straight to her next task in this case).
    log_in(page, base_url, "anna")
    open_task(page, base_url, reference, "Advies en afspraken verwerken in de Veiligheidskaart")
    radio(page, "vk_advies_verwerkt", "ja")
    complete(page)
    # The moment, the safety (then the chair) and the location are organised side by side: all
    # three are in her werkbak at once; the invitation only comes when all of them are done.
    on_task(page, "Moment plannen in overleg met de netwerkpartners")
    page.goto(f"{base_url}/werkbak?tab=mijn&zoek={reference}")
    row_links = page.locator("table.taken tr", has_text=reference).get_by_role("link")
    for name in ("Moment plannen in overleg met de netwerkpartners", "Veiligheid van alle betrokkenen inschatten",
                 "Locatie kiezen en ruimte reserveren"):
        expect(row_links.filter(has_text=name)).to_have_count(1)
    expect(page.locator("table.taken", has_text="Ouders en jeugdige uitnodigen")).to_have_count(0)
    open_task(page, base_url, reference, "Moment plannen in overleg met de netwerkpartners")
    page.fill("input[name=gesprek_datum]", gesprek.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name='deelnemers-0-naam']", "Petra Jansen")
    page.fill("input[name='deelnemers-0-rol']", "ouder")
    complete(page)
    on_task(page, "Veiligheid van alle betrokkenen inschatten")
    page.fill("textarea[name=veiligheidsinschatting]", "Geen bijzondere risico's.")
    complete(page)  # no safety measure ticked: "none" is an answer
    on_task(page, "Locatie kiezen en ruimte reserveren")  # the oldest open task comes first
    radio(page, "locatie_type", "gemeentehuis")
    page.fill("input[name=ruimte]", "Zaal 2")
    complete(page)
    on_task(page, "Voorzitter afstemmen met de netwerkpartners")
    radio(page, "voorzitter_type", "onafhankelijk")
    complete(page)
    on_task(page, "Onafhankelijk voorzitter regelen")
    radio(page, "voorzitter_soort", "procesregisseur")
    page.fill("input[name=voorzitter_naam]", "Victor Peters")
    complete(page)
    on_task(page, "Ouders en jeugdige uitnodigen")
    page.fill("input[name=uitnodiging_verstuurd_op]", today.isoformat())
    page.fill("textarea[name=uitnodiging_doel]", "Samen praten over de zorgen.")
    radio(page, "recht_vertrouwenspersoon_vermeld", "ja")
    complete(page)
    expect(page).to_have_url(re.compile(r"/werkbak"))  # the next step is the netwerkpartner's
    log_out(page)

    # 4. Nina (netwerkpartner) agrees when the youth joins and is spoken to separately.
    log_in(page, base_url, "nina")
    open_task(page, base_url, reference, "Afspreken wanneer de jeugdige aanwezig is en apart gesproken wordt", tab="rol")
    page.fill("input[name=jeugdige_aanwezig_moment]", "Het tweede half uur")
    page.fill("input[name=jeugdige_apart_spreken]", "Vooraf, door Nina")
    complete(page)
    log_out(page)

    # 5. Anna asks the parents for their reaction, records it when it arrives, works it in and
    #    sends the definitive card (two recipients: the second row added with "Rij toevoegen").
    log_in(page, base_url, "anna")
    open_task(page, base_url, reference, "Ouders om reactie op de Veiligheidskaart vragen")
    page.fill("input[name=reactie_gevraagd_op]", today.isoformat())
    radio(page, "reactie_gevraagd_via", "email")
    complete(page)
    page.goto(case_url)
    page.click("text=Reactie van ouders op de Veiligheidskaart vastleggen")
    page.fill("textarea[name=reactie_ouders]", "Wij herkennen ons niet in punt 2.")
    page.click("button:has-text('Vastleggen')")
    expect(page.locator("p.melding.succes")).to_contain_text("Vastgelegd")
    page.locator("table.taken").get_by_role("link", name="Reactie ouders verwerken in de Veiligheidskaart").click()
    page.fill("textarea[name=vk_aanpassingen_reactie]", "Reactie bij punt 2 opgenomen.")
    radio(page, "reactie_ouders_in_vk", "ja")
    complete(page)
    on_task(page, "Definitieve Veiligheidskaart versturen aan alle deelnemers")
    rows = page.locator("fieldset[data-lijst=verzendlijst_definitieve_vk] .rij")
    # The list starts with who gets the card anyway (the parent, the chair); the version is the card's own.
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("input[name$='-naam']")).to_have_value("Petra Jansen")
    expect(rows.nth(1).locator("input[name$='-naam']")).to_have_value("Victor Peters")
    rows.nth(0).locator("input[name$='-email']").fill("petra@example.org")
    page.click("fieldset[data-lijst=verzendlijst_definitieve_vk] >> text=Rij toevoegen")
    expect(rows).to_have_count(3)
    rows.nth(2).locator("input[name$='-naam']").fill("Nina Mulder")
    rows.nth(2).locator("input[name$='-rol']").fill("netwerkpartner")
    rows.nth(2).locator("input[name$='-email']").fill("nina@example.org")
    complete(page)
    # The chair (Victor, no account chosen, no address) gets the card through Anna: her hand-over
    # task, which lapses when the pre-meeting begins.
    on_task(page, "Definitieve VK overhandigen aan wie geen e-mail heeft")

    # 6. Half an hour before the conversation the pre-meeting opens: move time by firing the
    #    timers at 20 minutes before it (what the timer worker does when that moment comes).
    assert service.fire_due_timers(gesprek - timedelta(minutes=20))
    open_task(page, base_url, reference, "Voorbespreking professionals")
    notes = page.locator("[data-veld=voorbespreking_aantekeningen]")
    expect(notes).to_be_hidden()  # show_if: only when the pre-meeting was held
    radio(page, "voorbespreking_gehouden", "ja")
    expect(notes).to_be_visible()
    page.fill("textarea[name=voorbespreking_aantekeningen]", "Moeder mag even weglopen.")
    complete(page)
    log_out(page)

    # 7. Victor (voorzitter) claims the conversation from the tasks for his role and records it.
    log_in(page, base_url, "victor")
    page.goto(f"{base_url}/werkbak?tab=rol&zoek={reference}")
    row = page.locator("table.taken tr", has_text="Interventiegesprek voeren")
    row.get_by_role("button", name="Claimen").click()
    expect(page.locator("p.melding.info")).to_contain_text("opgepakt")
    open_task(page, base_url, reference, "Interventiegesprek voeren")
    # A row per parent with gezag is there already: mark each present, then 'gevoerd' shows the agreements.
    expect(page.locator("[data-veld=afspraken_gesprek]")).to_be_hidden()
    present = page.locator("input[type=radio][name^='ouders_aanwezigheid-'][name$='-aanwezig'][value='ja']")
    assert present.count() >= 1
    for index in range(present.count()):
        present.nth(index).check()
    radio(page, "gesprek_uitkomst", "gevoerd")
    expect(page.locator("[data-veld=afspraken_gesprek]")).to_be_visible()
    page.fill("textarea[name=notulen]", "Zorgen besproken; ouders willen hulp.")
    page.fill("input[name='afspraken_gesprek-0-wie']", "Moeder")
    page.fill("textarea[name='afspraken_gesprek-0-wat']", "Opvoedondersteuning aanvaarden")
    complete(page)
    log_out(page)

    # 8. Anna works the conversation into the card and fills in the outcome: P3 and P0 end.
    log_in(page, base_url, "anna")
    open_task(page, base_url, reference, "Gesprek verwerken in de Veiligheidskaart")
    page.fill("textarea[name=weergave_gesprek]", "Weergave en afspraken.")
    radio(page, "afspraken_in_vk_verwerkt", "ja")
    complete(page)
    on_task(page, "Uitkomst uit het gesprek invullen")
    page.fill("textarea[name=uitkomst]", "Ouders aanvaarden hulp.")
    page.fill("input[name='verzendlijst_na_gesprek-0-naam']", "Petra Jansen")
    page.fill("input[name='verzendlijst_na_gesprek-0-rol']", "ouder")
    page.fill("input[name='verzendlijst_na_gesprek-0-email']", "petra@example.org")
    complete(page)
    # The card also goes to every participant, the chair Victor too: without an address, through Anna.
    on_task(page, "Veiligheidskaart overhandigen aan wie geen e-mail heeft")
    radio(page, "vk_overhandigd", "ja")
    page.fill("textarea[name=vk_overhandigd_hoe]", "Victor Peters: op papier na het gesprek.")
    complete(page)
    expect(page).to_have_url(re.compile(r"/werkbak"))

    # 9. The case page: history with every step and who did it, the finished diagrams.
    page.goto(case_url)
    history = page.locator("table.historie")
    for line in ["Procedure gestart", "Taak afgerond: Consultatie- en adviesbespreking houden",
                 "Taak afgerond: Afspreken wanneer de jeugdige aanwezig is en apart gesproken wordt",
                 "Bericht ontvangen: Reactie ouders ontvangen", "Termijn verstreken",
                 "Taak opgepakt: Interventiegesprek voeren", "Taak afgerond: Interventiegesprek voeren",
                 "Taak afgerond: Uitkomst uit het gesprek invullen",
                 "Einde bereikt in Interventiegesprek"]:
        expect(history).to_contain_text(line)
    for person in ["Anna de Jong", "Vera de Boer", "Nina Mulder", "Victor Peters", "Systeem"]:
        expect(history).to_contain_text(person)
    expect(page.locator("table.procedures")).to_contain_text("afgerond")
    expect(page.locator("section.diagrammen")).to_have_attribute("data-geladen", "ja", timeout=20_000)
    page.get_by_role("tab", name="Interventiegesprek").click()  # one diagram at a time
    p3 = page.locator("figure[data-diagram$='-p3_interventiegesprek']")
    end_event = p3.locator(f"g.djs-element[data-element-id='{P3_END}']")
    expect(end_event).to_have_class(re.compile(r"\bvht-afgerond\b"))
    expect(p3.locator("g.djs-element.vht-actief")).to_have_count(0)  # nothing running any more
    expect(p3.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io watermark stays
    page.screenshot(path=SCREENSHOT, full_page=True)
    print(f"\ninterventiegesprek in the browser: {time.perf_counter() - started:.1f}s; screenshot {SCREENSHOT}")
