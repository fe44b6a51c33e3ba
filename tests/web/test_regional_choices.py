"""The page "Regionale keuzes" (every logged-in user), the task pages that link to it, and the date
rules shown at the field on the pages."""
from __future__ import annotations

import json

from tests.conftest import PROCESSES

from .helpers import CAB, html

CAB_GESPREK = {**CAB, "interventies": ["interventiegesprek"]}


def test_every_setting_has_a_dutch_explanation_and_a_source():
    parameters = json.loads((PROCESSES / "parameters.json").read_text(encoding="utf-8"))
    uitleg = json.loads((PROCESSES / "parameters_uitleg.json").read_text(encoding="utf-8"))
    assert set(parameters) <= set(uitleg), "a setting without an explanation in parameters_uitleg.json"
    for naam, item in uitleg.items():
        assert item["bron"] in ("werkwijze", "regio"), naam
        assert item["uitleg"] and item["toelichting"], naam


def test_the_page_lists_every_setting_for_every_logged_in_user(web):
    assert web.browser().get("/regionale-keuzes").status_code == 302  # login first
    for username in ("zoe", "vera", "anna"):
        response = web.browser(username).get("/regionale-keuzes")
        page = html(response)
        assert response.status_code == 200
        assert 'href="/regionale-keuzes"' in page  # in the menu
        for naam in json.loads((PROCESSES / "parameters.json").read_text(encoding="utf-8")):
            assert f'<tr id="{naam}">' in page
    row = page[page.index('<tr id="jeugdige_niet_uitnodigen_toegestaan">'):]
    row = row[:row.index("</tr>")]
    assert "<td>uit</td>" in row and "Regionale keuze" in row
    row = page[page.index('<tr id="werkdagen_definitieve_vk">'):]
    assert "Vastgelegd in de werkwijze" in row[:row.index("</tr>")]


def _invite_task(web) -> tuple[int, object]:
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB_GESPREK, "vera")
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    return case_id, web.open_task(case_id, "Task_MomentPlannen")


def test_a_task_that_depends_on_a_choice_links_to_it(web):
    case_id, task = _invite_task(web)
    page = html(web.browser("anna").get(f"/taken/{task.id}"))
    assert 'Regionale keuze: deze stap hangt af van' in page
    assert 'href="/regionale-keuzes#extra_sluitingsdagen"' in page
    for bpmn_id, data in [
        ("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00", "deelnemers": [{"naam": "Petra", "rol": "ouder"}]}),
        ("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []}),
        ("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"}),
        ("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"}),
    ]:
        web.complete(case_id, bpmn_id, data, "anna")
    invite = web.open_task(case_id, "Task_OudersEnJeugdigeUitnodigen")
    page = html(web.browser("anna").get(f"/taken/{invite.id}"))
    assert 'href="/regionale-keuzes#leeftijdsgrens_jeugdige"' in page
    assert 'href="/regionale-keuzes#jeugdige_niet_uitnodigen_toegestaan"' in page
    cab_case = web.start_case()
    page = html(web.browser("vera").get(f"/taken/{web.open_task(cab_case, 'Task_CabHouden').id}"))
    assert "Regionale keuze: deze stap hangt af van" not in page


def test_a_weekend_date_is_shown_at_the_field_and_what_was_typed_stays(web):
    case_id, task = _invite_task(web)
    response = web.browser("anna").post(f"/taken/{task.id}", {
        "gesprek_datum": "2026-03-14T10:00", "deelnemers-0-naam": "Petra", "deelnemers-0-rol": "ouder"})
    page = html(response)
    assert response.status_code == 422
    field = page[page.index('data-veld="gesprek_datum"'):page.index('data-veld="gesprek_datum_geen_werkdag_bevestigd"')]
    assert "Zaterdag 14 maart 2026 is geen werkdag (weekend)" in field and 'value="2026-03-14T10:00"' in field
    response = web.browser("anna").post(f"/taken/{task.id}", {
        "gesprek_datum": "2026-03-14T10:00", "gesprek_datum_geen_werkdag_bevestigd": "ja",
        "deelnemers-0-naam": "Petra", "deelnemers-0-rol": "ouder"})
    assert response.status_code == 302


def test_a_future_birth_date_is_shown_at_the_field_of_the_new_case_page(web):
    response = web.browser("anna").post("/casussen/nieuw", {
        "procedure": "p0_consultatie_advies", "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING",
        "ouders-0-naam": "Petra", "jeugdigen-0-naam": "Lot", "jeugdigen-0-geboortedatum": "2026-12-01",
        "cab_datum": "2026-03-02", "maatregel": "geen"})
    page = html(response)
    assert response.status_code == 422
    assert "Deze datum (dinsdag 1 december 2026) ligt ná vandaag." in page
    assert web.service.cases() == []
