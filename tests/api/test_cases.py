"""Cases through the API: list, start (201), one case, its history; bad input answers 422 per
field; someone else's case does not exist (404); an auditor reads but starts nothing (403)."""
import pytest

from tests.procedures.driver import casus

from .helpers import P0, assert_error, open_task, start_p0

SCRIPT = "<script>alert('x')</script>"


def test_start_list_get_and_history(api):
    anna = api.as_("anna")
    response = anna.post("/api/cases", json={"process_id": P0, "data": casus()})
    assert response.status_code == 201
    case = response.get_json()
    assert response.headers["Location"].endswith(f"/api/cases/{case['id']}")
    assert case["referentie"].startswith("VHT-2026-")
    assert (case["inbrenger"], case["gemeente"], case["jeugdige_initialen"], case["status"]) == \
        ("anna", "roosendaal", "SDV", "open")
    assert case["gegevens"]["ouders"][0]["naam"] == "Petra de Vries"
    (instance,) = case["instances"]
    assert (instance["process_id"], instance["status"], instance["version"]) == (P0, "running", 1)
    assert instance["diagrams"][0]["active"] == ["Task_CabHouden"]
    task = open_task(case, "Task_CabHouden")
    assert (task["role"], task["assignee"], task["state"]) == ("veiligheidsteam", None, "open")

    listed = anna.get("/api/cases").get_json()
    assert [c["id"] for c in listed] == [case["id"]]
    assert listed[0]["instances"][0]["process_id"] == P0
    assert anna.get("/api/cases", query_string={"search": case["referentie"]}).get_json()[0]["id"] == case["id"]
    assert anna.get("/api/cases", query_string={"search": "XYZ"}).get_json() == []

    again = anna.get(f"/api/cases/{case['id']}")
    assert again.status_code == 200 and again.get_json() == case

    history = anna.get(f"/api/cases/{case['id']}/history").get_json()
    assert [e["type"] for e in history] == ["instance_started"]
    first = history[0]
    assert (first["seq"], first["actor"], first["actor_type"]) == (1, "anna", "user")
    assert first["data"]["data"]["inbrenger_organisatie"] == "SPRING Roosendaal"
    assert len(first["hash"]) == 64


def test_field_names_follow_the_command_line_json(api):
    """A program can switch between `vht ... --json` and the API: same names for the same things."""
    from app.cli import case_json, event_json, task_json

    anna = api.as_("anna")
    case = start_p0(anna)
    service = api.service
    cli_case = case_json(service.case(case["id"]))
    assert set(cli_case) <= set(case)
    assert {k: case[k] for k in cli_case if k != "instances"} == {k: v for k, v in cli_case.items() if k != "instances"}
    assert set(cli_case["instances"][0]) <= set(case["instances"][0])
    cli_task = task_json(service.tasks(case_id=case["id"])[0])
    assert {k: open_task(case, "Task_CabHouden")[k] for k in cli_task} == cli_task
    cli_events = [event_json(e) for e in service.case_history(case["id"])]
    # The history is the timeline: its events carry the command line's fields (and labelled values).
    events = [e for e in anna.get(f"/api/cases/{case['id']}/history").get_json() if e["seq"] is not None]
    assert [{k: e[k] for k in cli} for e, cli in zip(events, cli_events)] == cli_events
    assert len(events) == len(cli_events)


def test_processes_you_may_start_come_with_their_form(api):
    gina = api.as_("gina")  # gi and inbrenger: P0, P5 and P6
    processes = {p["process_id"]: p for p in gina.get("/api/processes").get_json()}
    assert set(processes) == {P0, "p5_warme_overdracht", "p6_achttien_min_plus"}
    form = processes[P0]["form"]
    assert form["$schema"].endswith("2020-12/schema") and "gemeente" in form["required"]
    assert api.as_("vera").get("/api/processes").get_json() == []


@pytest.mark.parametrize("body, velden", [
    ({}, {"process_id": ["Dit veld is verplicht."], "data": ["Dit veld is verplicht."]}),
    ({"process_id": P0}, {"data": ["Dit veld is verplicht."]}),
    ({"process_id": 7, "data": []}, {"process_id": ["Vul tekst in."], "data": ["Verwacht een JSON-object."]}),
    ({"process_id": P0, "data": casus(), "prioriteit": "hoog"},
     {"prioriteit": ["Onbekend veld: de API kent dit veld hier niet."]}),
    ({"process_id": "p9_bestaat_niet", "data": casus()},
     {"process_id": ["Procedure 'p9_bestaat_niet' is niet in gebruik: nooit gedeployd (vht deploy) of alle "
                     "versies zijn ingetrokken."]}),
    ({"process_id": "p1_zorg", "data": casus()},
     {"process_id": ["Procedure 'p1_zorg' start alleen vanuit een andere procedure."]}),
], ids=["leeg", "zonder_data", "verkeerde_typen", "onbekend_veld", "onbekende_procedure", "geen_startprocedure"])
def test_start_with_bad_input_is_422_per_field(api, body, velden):
    response = api.as_("anna").post("/api/cases", json=body)
    assert assert_error(response, 422, "ongeldige_invoer") == velden
    assert api.as_("anna").get("/api/cases").get_json() == []  # nothing was started


def test_case_data_errors_are_under_data(api):
    data = casus(gemeente="amsterdam", cab_datum="2 maart", ouders="Petra", onbekend=1)
    del data["inbrenger_organisatie"]
    response = api.as_("anna").post("/api/cases", json={"process_id": P0, "data": data})
    velden = assert_error(response, 422, "ongeldige_invoer")["data"]
    assert velden["inbrenger_organisatie"] == ["Dit veld is verplicht."]
    assert velden["gemeente"][0].startswith("Kies een van")
    assert velden["cab_datum"] == ["Vul een geldige datum in (JJJJ-MM-DD)."]
    assert velden["ouders"] == ["Verwacht een lijst."]
    assert velden["onbekend"] == ["Onbekend veld: dit formulier kent dit veld niet."]


@pytest.mark.parametrize("raw, content_type, message", [
    ('{"process_id": "p0_consultatie_advies", "data": {', "application/json", "Geen geldige JSON"),
    ("[1, 2]", "application/json", "Verwacht een JSON-object."),
    ('"tekst"', "application/json", "Verwacht een JSON-object."),
    ("process_id=p0", "application/x-www-form-urlencoded", "Verwacht een JSON-object."),
    (b"\xff\xfe{", "application/json", "Geen geldige JSON"),
], ids=["afgebroken", "lijst", "string", "formulier", "geen_utf8"])
def test_malformed_bodies_are_422(api, raw, content_type, message):
    response = api.as_("anna").post("/api/cases", data=raw, content_type=content_type)
    velden = assert_error(response, 422, "ongeldige_invoer")
    assert velden["_schema"][0].startswith(message), velden


def test_html_and_script_come_back_verbatim_as_json_strings(api):
    anna = api.as_("anna")
    case = start_p0(anna, inbrenger_organisatie=SCRIPT, ouders=[{"naam": "<b>Petra</b> & Mark", "gezag": True}])
    response = anna.get(f"/api/cases/{case['id']}")
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["gegevens"]["inbrenger_organisatie"] == SCRIPT
    assert body["gegevens"]["ouders"][0]["naam"] == "<b>Petra</b> & Mark"
    history = anna.get(f"/api/cases/{case['id']}/history").get_json()
    assert history[0]["data"]["data"]["inbrenger_organisatie"] == SCRIPT
    # A field name with markup in an error comes back as the same string, not as markup.
    velden = assert_error(anna.post("/api/cases", json={"process_id": P0, "data": {}, SCRIPT: 1}),
                          422, "ongeldige_invoer")
    assert SCRIPT in velden


def test_someone_elses_case_does_not_exist_for_you(api):
    case = start_p0(api.as_("anna"))
    bram = api.as_("bram")  # inbrenger in another gemeente, not involved
    assert bram.get("/api/cases").get_json() == []
    for url in (f"/api/cases/{case['id']}", f"/api/cases/{case['id']}/history"):
        hidden = bram.get(url)
        missing = bram.get(url.replace(f"/{case['id']}", "/999999"))
        assert_error(hidden, 404, "niet_gevonden")
        assert_error(missing, 404, "niet_gevonden")
        # The same answer as for a case that does not exist (only the number differs).
        assert hidden.get_json()["bericht"].replace(str(case["id"]), "N") == \
            missing.get_json()["bericht"].replace("999999", "N")


def test_auditor_reads_every_case_but_starts_none(api):
    case = start_p0(api.as_("anna"))
    ahmed = api.as_("ahmed")
    assert [c["id"] for c in ahmed.get("/api/cases").get_json()] == [case["id"]]
    assert ahmed.get(f"/api/cases/{case['id']}").status_code == 200
    assert ahmed.get(f"/api/cases/{case['id']}/history").status_code == 200
    response = ahmed.post("/api/cases", json={"process_id": P0, "data": casus()})
    assert_error(response, 403, "geen_toegang")
    assert "auditor" in response.get_json()["bericht"]


@pytest.mark.parametrize("username", ["vera", "pieter", "beheer"])
def test_roles_that_may_not_start_get_403(api, username):
    response = api.as_(username).post("/api/cases", json={"process_id": P0, "data": casus()})
    assert_error(response, 403, "geen_toegang")
    assert api.as_("ahmed").get("/api/cases").get_json() == []


def test_case_list_query_is_checked(api):
    anna = api.as_("anna")
    assert assert_error(anna.get("/api/cases?limit=0"), 422, "ongeldige_invoer") == \
        {"limit": ["Kies 1 tot en met 500."]}
    assert assert_error(anna.get("/api/cases?zoek=x"), 422, "ongeldige_invoer") == \
        {"zoek": ["Onbekend veld: de API kent dit veld hier niet."]}
