"""Input the API refuses with 422 instead of storing it or answering 500 (issue 8, points 4 and 9):
invalid Unicode and control characters anywhere in a body or query string, JSON nested too deep,
dates at the edge of the calendar, more rows than a form allows, ids beyond the database's
integers and huge page numbers; on SQLite and PostgreSQL. And the API keeps to its own OpenAPI
document (point 10): RFC 3339 timestamps with seconds, no undocumented OPTIONS, every code listed."""
import json
import re

import pytest

from app.inputs import DEEP, ENCODING, MAX_DEPTH, NAME, TEXT
from tests.procedures.driver import casus

from .helpers import P0, assert_error, open_task, start_p0
from .test_tasks import CAB, cab_task

SURROGATE = '"\\ud800x"'  # a JSON escape of an unpaired surrogate: Python's json accepts it


def post_json(client, url, text: str, method: str = "POST"):
    return client.open(method, url, data=text, headers={"Content-Type": "application/json"})


def start_body(**overrides) -> str:
    """The body of POST /api/cases with the X placeholders put in as raw JSON text."""
    return json.dumps({"process_id": P0, "data": casus(**overrides)})


def test_an_unpaired_surrogate_is_refused_and_the_case_pages_keep_working(api):
    anna = api.as_("anna")
    body = start_body(inbrenger_organisatie="X").replace('"X"', SURROGATE)
    velden = assert_error(post_json(anna, "/api/cases", body), 422, "ongeldige_invoer")
    assert velden == {"data": {"inbrenger_organisatie": [TEXT]}}
    assert anna.get("/api/cases").get_json() == []  # nothing stored

    # In a list row, a task's form, a draft: each refused, named by its place, nothing kept.
    body = start_body(ouders=[{"naam": "X", "gezag": True}]).replace('"X"', SURROGATE)
    velden = assert_error(post_json(anna, "/api/cases", body), 422, "ongeldige_invoer")
    assert velden == {"data": {"ouders": {"0": {"naam": [TEXT]}}}}
    case, task = cab_task(api)
    vera = api.as_("vera")
    url = f"/api/tasks/{task['id']}"
    assert vera.post(f"{url}/claim").status_code == 200
    bad = json.dumps({**CAB, "advies_tekst": "X"}).replace('"X"', SURROGATE)
    assert assert_error(post_json(vera, f"{url}/complete", bad), 422, "ongeldige_invoer") == {"advies_tekst": [TEXT]}
    assert assert_error(post_json(vera, f"{url}/draft", bad, "PUT"), 422, "ongeldige_invoer") == {"advies_tekst": [TEXT]}
    detail = vera.get(url).get_json()
    assert detail["task"]["state"] == "open" and detail["draft"] is None
    assert anna.get(f"/api/cases/{case['id']}").status_code == 200


@pytest.mark.parametrize("text", ["nul\x00byte", "escape\x1b[31m", "bel\x07", "c1\x85", "del\x7f"])
def test_nul_and_control_characters_are_refused(api, text):
    body = json.dumps({"process_id": P0, "data": casus(inbrenger_organisatie=text)})
    velden = assert_error(post_json(api.as_("anna"), "/api/cases", body), 422, "ongeldige_invoer")
    assert velden == {"data": {"inbrenger_organisatie": [TEXT]}}


def test_tab_newline_and_any_real_character_are_text(api):
    text = "Tab\there\r\nnieuwe regel, é ñ 中文 🙂"
    case = start_p0(api.as_("anna"), inbrenger_organisatie=text)
    assert case["gegevens"]["inbrenger_organisatie"] == text.strip()


def test_a_bad_field_name_is_refused_without_repeating_it(api):
    body = json.dumps({"process_id": P0, "data": {**casus(), "X": "waarde"}}).replace('"X"', SURROGATE)
    response = post_json(api.as_("anna"), "/api/cases", body)
    assert assert_error(response, 422, "ongeldige_invoer") == {"data": [NAME]}


@pytest.mark.parametrize("query, field, message", [
    ("search=a%00b", "search", TEXT),
    ("search=%ED%A0%80", "search", ENCODING),  # the UTF-8 bytes of a surrogate: not UTF-8
    ("search=%FF", "search", ENCODING),
    ("gemeente=%1B", "gemeente", TEXT),
    ("onbekend=%00", "onbekend", TEXT),  # also a parameter the operation does not read
])
def test_query_strings_with_forbidden_text_are_refused(api, query, field, message):
    for url in ("/api/tasks", "/api/cases", "/api/processes", "/api/cases/1"):
        response = api.as_("vera").get(f"{url}?{query}")
        assert assert_error(response, 422, "ongeldige_invoer") == {field: [message]}, url


def test_json_nested_deeper_than_any_form_is_refused(api):
    anna = api.as_("anna")
    for depth in (1_000, 100_000):  # RecursionError in the JSON parser itself
        body = '{"process_id": "p0", "data": {"a": ' + "[" * depth + "]" * depth + "}}"
        assert assert_error(post_json(anna, "/api/cases", body), 422, "ongeldige_invoer")
    nested: list = []
    for _ in range(MAX_DEPTH + 5):
        nested = [nested]
    body = json.dumps({"process_id": P0, "data": {**casus(), "x": nested}})
    velden = assert_error(post_json(anna, "/api/cases", body), 422, "ongeldige_invoer")
    assert DEEP.format(max=MAX_DEPTH) in json.dumps(velden, ensure_ascii=False)
    assert anna.get("/api/cases").get_json() == []


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_dates_at_the_edge_of_the_calendar_are_refused(api, day):
    body = json.dumps({"process_id": P0, "data": casus(cab_datum=day)})
    velden = assert_error(post_json(api.as_("anna"), "/api/cases", body), 422, "ongeldige_invoer")
    assert velden == {"data": {"cab_datum": ["Vul een datum tussen 1900 en 2199 in."]}}


def test_more_rows_than_a_form_allows_are_refused(api):
    rows = [{"naam": f"Ouder {i}", "gezag": True} for i in range(201)]
    body = json.dumps({"process_id": P0, "data": casus(ouders=rows)})
    velden = assert_error(post_json(api.as_("anna"), "/api/cases", body), 422, "ongeldige_invoer")
    assert velden == {"data": {"ouders": ["Vul hoogstens 200 rijen in."]}}


@pytest.mark.parametrize("id_", [2**31, 2**31 + 1, 9_999_999_999, 10**30])
def test_ids_beyond_the_databases_integers_are_not_found(api, id_):
    case, task = cab_task(api)
    vera = api.as_("vera")
    for method, url in [("GET", f"/api/cases/{id_}"), ("GET", f"/api/cases/{id_}/history"),
                        ("GET", f"/api/tasks/{id_}"), ("POST", f"/api/tasks/{id_}/claim"),
                        ("POST", f"/api/tasks/{id_}/unclaim"), ("PUT", f"/api/tasks/{id_}/draft")]:
        assert_error(vera.open(method, url, json={}), 404, "niet_gevonden")
    response = vera.post(f"/api/tasks/{id_}/assign", json={"naar": "vince", "reden": "vakantie"})
    assert_error(response, 404, "niet_gevonden")
    # The largest id the database holds is an ordinary unknown id.
    response = vera.get(f"/api/tasks/{2**31 - 1}")
    assert_error(response, 404, "niet_gevonden")
    assert str(2**31 - 1) in response.get_json()["bericht"]  # the service's own answer, not the router's


def test_a_huge_page_number_is_refused(api):
    velden = assert_error(api.as_("vera").get("/api/tasks?page=99999999999999999999"), 422, "ongeldige_invoer")
    assert velden == {"page": ["Kies 1 tot en met 100000."]}
    assert api.as_("vera").get("/api/tasks?page=100000").get_json()["items"] == []


# --- the API as its OpenAPI document says (point 10) --------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def test_timestamps_are_rfc3339_with_seconds_and_offset(api):
    case, task = cab_task(api)
    assert RFC3339.match(case["aangemaakt_op"]), case["aangemaakt_op"]
    assert case["aangemaakt_op"] == "2026-03-02T09:00:00+01:00"
    assert RFC3339.match(task["created_at"])
    history = api.as_("anna").get(f"/api/cases/{case['id']}/history").get_json()
    assert all(RFC3339.match(event["at"]) for event in history)


def test_options_is_not_answered_but_says_what_is_allowed(api):
    anna = api.as_("anna")
    response = anna.open("OPTIONS", "/api/cases")
    assert_error(response, 405, "methode_niet_toegestaan")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}
    response = anna.open("OPTIONS", "/api/tasks/1/claim")
    assert_error(response, 405, "methode_niet_toegestaan")
    assert response.headers["Allow"] == "POST"


def test_every_answer_the_api_can_give_is_documented(sqlite_api):
    doc = sqlite_api.anonymous.get("/api/openapi.json").get_json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert "default" not in codes, (method, path)  # a catch-all would hide undocumented codes
            assert {"401", "422"} <= codes, (method, path)  # token; forbidden text in any query string
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put") and path.startswith("/api/tasks/"):
                assert {"403", "404", "409"} <= codes, (method, path)
        for parameter in operations.get("parameters", []):
            if parameter["name"] == "name":  # a message's name (forms/bericht_<name>.json), bounded too
                assert parameter["schema"] == {"type": "string", "minLength": 1, "maxLength": 80}, path
            else:
                assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}, path
    cases_post = doc["paths"]["/api/cases"]["post"]["responses"]
    assert "process_id" in cases_post["422"]["description"]
    assert "naar" in doc["paths"]["/api/tasks/{task_id}/assign"]["post"]["responses"]["422"]["description"]


def test_the_refused_schema_valid_requests_answer_as_documented(api):
    """An unknown procedure and an unknown colleague fit the request schemas: 422, per field."""
    velden = assert_error(api.as_("anna").post("/api/cases", json={"process_id": "bestaat_niet", "data": {}}),
                          422, "ongeldige_invoer")
    assert set(velden) == {"process_id"}
    case, task = cab_task(api)
    response = api.as_("vera").post(f"/api/tasks/{task['id']}/assign", json={"naar": "niemand", "reden": "x"})
    assert set(assert_error(response, 422, "ongeldige_invoer")) == {"naar"}
    assert open_task(api.as_("anna").get(f"/api/cases/{case['id']}").get_json(), "Task_CabHouden")["assignee"] is None
