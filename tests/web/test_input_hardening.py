"""Input the pages refuse with 422 instead of storing it or answering 500 (issue 8, points 4 and 9),
on SQLite and PostgreSQL: control characters and bytes that are not UTF-8 in forms and query
strings, dates at the edge of the calendar, more rows than a form allows, ids beyond the database's
integers, huge page numbers. Forms with their own fields come back with the message at the field
and what was typed; nothing is stored."""
from __future__ import annotations

import re

import pytest

from app.inputs import TEXT
from tests.api.helpers import P0

from .helpers import build_web, html

NEW_CASE = {
    "procedure": P0, "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING",
    "ouders-0-naam": "Petra de Vries", "ouders-0-gezag": "ja",
    "jeugdigen-0-naam": "Sam", "jeugdigen-0-geboortedatum": "2015-06-01",
    "cab_datum": "2026-03-02", "maatregel": "geen",
}


@pytest.fixture
def web(service, clock):
    """The pages on SQLite and on PostgreSQL (tests/web/conftest.py's `web` is SQLite only)."""
    return build_web(service, clock)


def cases_of(web, username="anna") -> int:
    return len(web.service.visible_cases(username))


@pytest.mark.parametrize("text", ["nul\x00byte", "escape\x1b[0m", "c1\x85"])
def test_a_new_case_with_a_control_character_is_shown_again_with_the_message(web, text):
    anna = web.browser("anna")
    anna.get(f"/casussen/nieuw?procedure={P0}")
    response = anna.post("/casussen/nieuw", {**NEW_CASE, "inbrenger_organisatie": text, "ouders-0-naam": text})
    page = html(response)
    assert response.status_code == 422
    assert re.search(r'data-veld="inbrenger_organisatie".*?' + re.escape(TEXT), page, re.S)
    assert re.search(r'id="m-ouders-0-naam"><li>' + re.escape(TEXT), page)
    assert 'value="Sam"' in page  # what was typed elsewhere is still there
    assert cases_of(web) == 0


def test_a_task_form_and_its_draft_refuse_a_control_character(web):
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    vera = web.browser("vera")
    vera.get(f"/taken/{task.id}")
    for actie in ("afronden", "opslaan"):
        response = vera.post(f"/taken/{task.id}", {"actie": actie, "advies_tekst": "Advies\x00",
                                                   "afspraken-0-wie": "Anna\x1b"})
        page = html(response)
        assert response.status_code == 422, actie
        assert re.search(r'data-veld="advies_tekst".*?' + re.escape(TEXT), page, re.S), actie
        assert re.search(r'id="m-afspraken-0-wie"><li>' + re.escape(TEXT), page), actie
    assert web.service.task(task.id).state == "open"
    assert "Concept" not in html(vera.get(f"/taken/{task.id}")).split("<form")[0]
    _, _, draft = web.service.task_for("vera", task.id)
    assert draft is None


def test_other_forms_answer_a_422_page_and_change_nothing(web):
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    vera = web.browser("vera")
    vera.get(f"/taken/{task.id}")
    response = vera.post(f"/taken/{task.id}/overdragen", {"naar": "vince", "reden": "vakantie\x00"})
    assert response.status_code == 422
    assert "teken dat niet is toegestaan" in html(response) and "reden" in html(response)
    assert web.service.task(task.id).assignee is None
    # Bytes that are not UTF-8 (a browser never sends them) in any form: the 422 page.
    body = f"csrf_token={vera.token}&actie=afronden&advies_tekst=%ED%A0%80".encode()
    response = vera.client.post(f"/taken/{task.id}", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422 and "advies_tekst" in html(response)
    assert web.service.task(task.id).state == "open"


@pytest.mark.parametrize("url, field", [
    ("/werkbak?zoek=%00", "zoek"), ("/werkbak?procedure=p0%1B", "procedure"),
    ("/werkbak?gemeente=%ED%A0%80", "gemeente"), ("/werkbak?tab=%FF", "tab"),
    ("/casussen?zoek=a%00", "zoek"), ("/casussen?zoek=%C0%AF", "zoek"), ("/casussen/nieuw?procedure=%00", "procedure"),
])
def test_query_strings_with_forbidden_text_answer_422(web, url, field):
    response = web.browser("anna").get(url)
    assert response.status_code == 422, url
    assert f"Het adres van deze pagina bevat tekens die niet zijn toegestaan ({field})" in html(response)


@pytest.mark.parametrize("id_", [2**31, 9_999_999_999, 10**30])
def test_ids_beyond_the_databases_integers_are_not_found(web, id_):
    anna = web.browser("anna")
    for url in (f"/casussen/{id_}", f"/taken/{id_}", f"/casussen/{id_}/veiligheidskaart",
                f"/casussen/{id_}/diagrammen.json"):
        assert anna.get(url).status_code == 404, url
    assert anna.post(f"/taken/{id_}/claimen").status_code == 404
    assert anna.get(f"/casussen/{2**31 - 1}").status_code == 404


def test_a_huge_page_number_shows_an_empty_page(web):
    response = web.browser("vera").get("/werkbak?tab=rol&pagina=1000000000000000000000000")
    assert response.status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_edge_of_the_calendar_are_refused(web, day):
    anna = web.browser("anna")
    anna.get(f"/casussen/nieuw?procedure={P0}")
    response = anna.post("/casussen/nieuw", {**NEW_CASE, "cab_datum": day, "jeugdigen-0-geboortedatum": day})
    assert response.status_code == 422
    # At both fields, and in the error summary above the form (a link to each).
    assert html(response).count("<li>Vul een datum tussen 1900 en 2199 in.</li>") == 2
    assert html(response).count(": Vul een datum tussen 1900 en 2199 in.</a>") == 2
    assert cases_of(web) == 0


def test_more_rows_than_a_form_allows_are_refused_not_cut_off(web):
    anna = web.browser("anna")
    anna.get(f"/casussen/nieuw?procedure={P0}")
    rows = {f"ouders-{i}-naam": f"Ouder {i}" for i in range(201)}
    response = anna.post("/casussen/nieuw", {**NEW_CASE, **rows})
    assert response.status_code == 422
    assert re.search(r'data-veld="ouders".*?Vul hoogstens 200 rijen in\.', html(response), re.S)
    assert cases_of(web) == 0


def test_a_csrf_token_with_any_character_is_just_a_wrong_token(web):
    anna = web.browser("anna")
    for token in ("é", "🙂", "x" * 5000):
        response = anna.client.post("/uitloggen", data={"csrf_token": token})
        assert response.status_code == 400, token
