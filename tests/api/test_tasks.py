"""Tasks through the API: the inbox with its filters and pages, one task with its form as JSON
Schema and the caller's draft, claim / unclaim / assign / complete, and what goes wrong: 422 per
field, 409 when someone was first, 404 for a task that is not yours, 403 for an auditor."""
import threading

import pytest
from jsonschema import Draft202012Validator

import app.service.tasks as task_service
from tests.procedures.gesprek_steps import cab

from .helpers import ApiClient, assert_error, open_task, start_p0

CAB = cab("interventiegesprek")


def cab_task(api, **casus_overrides) -> tuple[dict, dict]:
    """A new P0 case of anna's (or of its inbrenger) and its first task (veiligheidsteam)."""
    inbrenger = casus_overrides.pop("inbrenger", "anna")
    case = start_p0(api.as_(inbrenger), **casus_overrides)
    return case, open_task(case, "Task_CabHouden")


def test_claim_unclaim_draft_complete_and_the_next_task(api):
    case, task = cab_task(api)
    vera, anna = api.as_("vera"), api.as_("anna")
    url = f"/api/tasks/{task['id']}"

    rol = vera.get("/api/tasks", query_string={"tab": "rol"}).get_json()
    assert (rol["total"], [t["id"] for t in rol["items"]]) == (1, [task["id"]])
    item = rol["items"][0]
    assert item["case"] == {"id": case["id"], "referentie": case["referentie"], "gemeente": "roosendaal",
                            "jeugdige_initialen": "SDV", "status": "open"}
    assert item["urgency"] is None and item["task"] == "Task_CabHouden"
    assert vera.get("/api/tasks").get_json()["total"] == 0  # tab=mijn by default

    claimed = vera.post(f"{url}/claim")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "vera"
    assert [t["id"] for t in vera.get("/api/tasks?tab=mijn").get_json()["items"]] == [task["id"]]
    assert vera.get("/api/tasks?tab=rol").get_json()["items"] == []
    assert vera.post(f"{url}/unclaim").get_json()["assignee"] is None
    assert vera.post(f"{url}/claim").get_json()["assignee"] == "vera"

    detail = vera.get(url).get_json()
    assert detail["task"]["id"] == task["id"] and detail["case"]["id"] == case["id"]
    assert detail["documentation"].startswith("Het VeiligheidsTeam bespreekt de casus")
    form = detail["form"]
    Draft202012Validator.check_schema(form)
    assert {"advies_type", "advies_tekst", "afspraken", "interventies"} <= set(form["required"])
    assert form["additionalProperties"] is False
    assert Draft202012Validator(form).is_valid(CAB)
    assert detail["draft"] is None

    draft = {"advies_tekst": "Half af", "advies_type": "andere_aanpak"}
    assert vera.put(f"{url}/draft", json=draft).status_code == 204
    assert vera.get(url).get_json()["draft"] == draft
    assert api.as_("vince").get(url).status_code == 404  # vera's task now; and her draft is hers

    done = vera.post(f"{url}/complete", json=CAB)
    assert done.status_code == 200
    body = done.get_json()
    assert (body["task"]["state"], body["task"]["completed_by"]) == ("completed", "vera")
    assert body["next_task"] is None  # the next step is the inbrenger's
    assert [t["id"] for t in vera.get("/api/tasks?tab=afgerond").get_json()["items"]] == [task["id"]]
    assert vera.get(url).get_json()["draft"] is None  # completing clears the draft

    # anna processes the advice; her next task in the case comes back with it.
    verwerken = anna.get("/api/tasks").get_json()["items"][0]
    assert verwerken["task"] == "Task_AdviesVerwerken" and verwerken["assignee"] == "anna"
    body = anna.post(f"/api/tasks/{verwerken['id']}/complete", json={"vk_advies_verwerkt": True}).get_json()
    assert body["next_task"]["task"] == "Task_MomentPlannen"
    assert body["next_task"]["assignee"] == "anna" and body["next_task"]["case_id"] == case["id"]

    history = [e for e in anna.get(f"/api/cases/{case['id']}/history").get_json() if e["seq"]]  # events only
    assert [e["type"] for e in history] == ["instance_started", "task_claimed", "task_unclaimed", "task_claimed",
                                           "task_completed", "task_completed"]
    assert history[4]["actor"] == "vera" and history[4]["data"]["data"]["advies_tekst"] == CAB["advies_tekst"]


def test_assign_to_a_colleague_with_a_reason(api):
    case, task = cab_task(api)
    vera = api.as_("vera")
    url = f"/api/tasks/{task['id']}/assign"
    vera.post(f"/api/tasks/{task['id']}/claim")

    velden = assert_error(vera.post(url, json={"naar": "vince"}), 422, "ongeldige_invoer")
    assert velden == {"reden": ["Dit veld is verplicht."]}
    velden = assert_error(vera.post(url, json={"naar": "vince", "reden": "  "}), 422, "ongeldige_invoer")
    assert velden == {"reden": ["Dit veld is verplicht."]}
    velden = assert_error(vera.post(url, json={"naar": "vince", "reden": "x" * 201}), 422, "ongeldige_invoer")
    assert velden["reden"][0].startswith("Geef een reden op")
    velden = assert_error(vera.post(url, json={"naar": "tom", "reden": "Vakantie"}), 422, "ongeldige_invoer")
    assert velden == {"naar": ["Tom Toegang heeft niet de rol die deze taak vraagt."]}
    velden = assert_error(vera.post(url, json={"naar": "niemand", "reden": "Vakantie"}), 422, "ongeldige_invoer")
    assert velden == {"naar": ["Kies een collega uit de lijst."]}
    velden = assert_error(vera.post(url, json={"naar": "vince", "reden": "Vakantie", "cc": "anna"}),
                          422, "ongeldige_invoer")
    assert velden == {"cc": ["Onbekend veld: de API kent dit veld hier niet."]}

    response = vera.post(url, json={"naar": "vince", "reden": "Vakantie tot 16 maart"})
    assert response.status_code == 200 and response.get_json()["assignee"] == "vince"
    assert [t["id"] for t in api.as_("vince").get("/api/tasks").get_json()["items"]] == [task["id"]]
    assert vera.get(f"/api/tasks/{task['id']}").status_code == 404  # no longer hers
    event = [e for e in api.as_("anna").get(f"/api/cases/{case['id']}/history").get_json() if e["seq"]][-1]
    assert (event["type"], event["actor"]) == ("task_reassigned", "vera")
    assert event["data"] == {"van": "vera", "naar": "vince", "reden": "Vakantie tot 16 maart"}


def test_the_inbrenger_may_hand_on_a_task_of_her_case(api):
    """The inbrenger does not work the VHT's task, but may give it to a VHT member."""
    _, task = cab_task(api)
    anna = api.as_("anna")
    assert anna.get(f"/api/tasks/{task['id']}").status_code == 404  # not her task to work
    assert_error(anna.post(f"/api/tasks/{task['id']}/claim"), 403, "geen_toegang")
    response = anna.post(f"/api/tasks/{task['id']}/assign", json={"naar": "vince", "reden": "Vince kent het gezin"})
    assert response.status_code == 200 and response.get_json()["assignee"] == "vince"


def test_inbox_filters_pages_and_search(api):
    roosendaal, _ = cab_task(api)
    moerdijk, _ = cab_task(api, inbrenger="bram", gemeente="moerdijk",
                           jeugdigen=[{"naam": "Kim Jansen", "geboortedatum": "2014-02-03"}])
    vera = api.as_("vera")

    def ids(**query):
        page = vera.get("/api/tasks", query_string={"tab": "rol", **query}).get_json()
        return [item["case_id"] for item in page["items"]]

    assert sorted(ids()) == sorted([roosendaal["id"], moerdijk["id"]])
    assert ids(gemeente="moerdijk") == [moerdijk["id"]]
    assert ids(search=moerdijk["referentie"].lower()) == [moerdijk["id"]]
    assert ids(search="KJ") == [moerdijk["id"]]  # initials
    assert sorted(ids(procedure="p0_consultatie_advies")) == sorted([roosendaal["id"], moerdijk["id"]])
    assert ids(procedure="p5_warme_overdracht") == []
    assert sorted(ids(deadline="geen")) == sorted([roosendaal["id"], moerdijk["id"]])  # CAB has no deadline
    assert ids(deadline="verlopen") == []
    assert ids(sort="nieuw") == [moerdijk["id"], roosendaal["id"]]

    first = vera.get("/api/tasks?tab=rol&per_page=1&page=1&sort=nieuw").get_json()
    second = vera.get("/api/tasks?tab=rol&per_page=1&page=2&sort=nieuw").get_json()
    assert (first["total"], first["pages"], first["per_page"], second["page"]) == (2, 2, 1, 2)
    assert [first["items"][0]["case_id"], second["items"][0]["case_id"]] == [moerdijk["id"], roosendaal["id"]]
    assert vera.get("/api/tasks?tab=rol&per_page=1&page=3").get_json()["items"] == []


@pytest.mark.parametrize("query, velden", [
    ("tab=alles", {"tab": ["Kies een van: mijn, rol, afgerond."]}),
    ("deadline=gisteren", {"deadline": ["Kies een van: verlopen, binnenkort, deze_week, geen."]}),
    ("page=een", {"page": ["Vul een geheel getal in."]}),
    ("page=0", {"page": ["Kies 1 tot en met 100000."]}),
    ("page=10000000000000000000000", {"page": ["Kies 1 tot en met 100000."]}),
    ("per_page=1000", {"per_page": ["Kies 1 tot en met 100."]}),
    ("procedue=p0", {"procedue": ["Onbekend veld: de API kent dit veld hier niet."]}),
])
def test_inbox_query_is_checked(api, query, velden):
    assert assert_error(api.as_("vera").get(f"/api/tasks?{query}"), 422, "ongeldige_invoer") == velden


@pytest.mark.parametrize("data, expected", [
    ({}, {"advies_type": ["Maak een keuze."], "advies_tekst": ["Dit veld is verplicht."],
          "afspraken": ["Vul minstens één rij in."], "interventies": ["Kies er minstens één."]}),
    (dict(CAB, advies_type=5, afspraken="morgen", interventies=["alles"]),
     {"advies_type": ["Kies een van de opties."], "afspraken": ["Verwacht een lijst."],
      "interventies": {"0": ["Kies uit de opties."]}}),
    (dict(CAB, afspraken=[{"wie": 3, "wat": "Regelen", "wanneer": "morgen"}]),
     {"afspraken": {"0": {"wie": ["Vul tekst in."], "wanneer": ["Vul een geldige datum in (JJJJ-MM-DD)."]}}}),
    (dict(CAB, besluit="ja", advies_tekst="<b>ok</b>"), {"besluit": ["Onbekend veld: dit formulier kent dit veld niet."]}),
], ids=["ontbrekend", "verkeerde_typen", "fout_in_lijst", "onbekend_veld"])
def test_complete_with_bad_data_is_422_per_field_and_saves_nothing(api, data, expected):
    _, task = cab_task(api)
    vera = api.as_("vera")
    velden = assert_error(vera.post(f"/api/tasks/{task['id']}/complete", json=data), 422, "ongeldige_invoer")
    assert velden == expected
    assert vera.get(f"/api/tasks/{task['id']}").get_json()["task"]["state"] == "open"


@pytest.mark.parametrize("raw, content_type", [
    ("{\"advies_type\": ", "application/json"), ("[]", "application/json"), ("advies_type=x", "text/plain"),
], ids=["afgebroken_json", "lijst", "geen_json"])
def test_complete_with_a_malformed_body_is_422(api, raw, content_type):
    _, task = cab_task(api)
    response = api.as_("vera").post(f"/api/tasks/{task['id']}/complete", data=raw, content_type=content_type)
    assert "_schema" in assert_error(response, 422, "ongeldige_invoer")


def test_completing_twice_is_a_conflict(api):
    _, task = cab_task(api)
    vera = api.as_("vera")
    assert vera.post(f"/api/tasks/{task['id']}/complete", json=CAB).status_code == 200
    again = vera.post(f"/api/tasks/{task['id']}/complete", json=CAB)
    assert_error(again, 409, "conflict")
    assert "al afgerond" in again.get_json()["bericht"]
    for action in ("claim", "unclaim"):
        assert_error(vera.post(f"/api/tasks/{task['id']}/{action}"), 409, "conflict")
    # For a colleague of the same role the task is no longer offered to him: it is not his (404).
    assert_error(api.as_("vince").post(f"/api/tasks/{task['id']}/complete", json=CAB), 404, "niet_gevonden")


def test_a_task_claimed_by_a_colleague_is_no_longer_yours(api):
    _, task = cab_task(api)
    assert api.as_("vera").post(f"/api/tasks/{task['id']}/claim").status_code == 200
    vince = api.as_("vince")
    assert vince.get("/api/tasks?tab=rol").get_json()["items"] == []
    for method, suffix in (("GET", ""), ("POST", "/claim"), ("POST", "/unclaim"), ("POST", "/complete")):
        assert_error(vince.open(method, f"/api/tasks/{task['id']}{suffix}", json=CAB), 404, "niet_gevonden")
    # Given back to the role, it is his to take again.
    api.as_("vera").post(f"/api/tasks/{task['id']}/unclaim")
    assert vince.post(f"/api/tasks/{task['id']}/claim").get_json()["assignee"] == "vince"


def test_two_completions_at_once_one_wins_the_other_gets_409(api, monkeypatch):
    """A double submit: both requests load the case before either saves (where the database lets
    them: SQLite queues writers), one completes, the other gets 409 and nothing of it is saved."""
    case, task = cab_task(api)
    barrier = threading.Barrier(2, timeout=3)
    original = task_service.load_run

    def load_then_wait(ctx, instance):
        run = original(ctx, instance)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # SQLite lets one writer in at a time: the other waits at BEGIN and then sees it done
        return run

    monkeypatch.setattr(task_service, "load_run", load_then_wait)
    token = api.as_("vera").token
    clients = [ApiClient(api.app.test_client(), token) for _ in range(2)]  # two tabs of one program
    results = [None, None]

    def work(i):
        results[i] = clients[i].post(f"/api/tasks/{task['id']}/complete", json=dict(CAB, advies_tekst=f"Advies {i}"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    loser, winner = sorted(results, key=lambda r: -r.status_code)
    assert_error(loser, 409, "conflict")
    history = api.as_("anna").get(f"/api/cases/{case['id']}/history").get_json()
    completed = [e for e in history if e["type"] == "task_completed"]
    assert len(completed) == 1
    assert completed[0]["data"]["data"]["advies_tekst"] == f"Advies {results.index(winner)}"


def test_someone_elses_task_does_not_exist_for_you(api):
    _, task = cab_task(api)
    missing_id = 999999
    for username in ("bram", "tom", "pieter"):
        client = api.as_(username)
        for method, suffix, body in (("GET", "", None), ("POST", "/claim", None), ("POST", "/unclaim", None),
                                     ("POST", "/assign", {"naar": "vince", "reden": "x"}),
                                     ("PUT", "/draft", {}), ("POST", "/complete", CAB)):
            hidden = client.open(method, f"/api/tasks/{task['id']}{suffix}", json=body)
            missing = client.open(method, f"/api/tasks/{missing_id}{suffix}", json=body)
            assert_error(hidden, 404, "niet_gevonden")
            assert_error(missing, 404, "niet_gevonden")
            assert hidden.get_json()["bericht"].replace(str(task["id"]), "N") == \
                missing.get_json()["bericht"].replace(str(missing_id), "N"), (username, suffix)
    assert api.as_("vera").get(f"/api/tasks/{task['id']}").get_json()["task"]["state"] == "open"


def test_an_auditor_sees_every_task_and_does_none(api):
    _, task = cab_task(api)
    ahmed = api.as_("ahmed")
    assert [t["id"] for t in ahmed.get("/api/tasks?tab=rol").get_json()["items"]] == [task["id"]]
    assert ahmed.get(f"/api/tasks/{task['id']}").status_code == 200
    for method, suffix, body in (("POST", "/claim", None), ("POST", "/unclaim", None),
                                 ("POST", "/assign", {"naar": "vince", "reden": "x"}), ("PUT", "/draft", {}),
                                 ("POST", "/complete", CAB)):
        response = ahmed.open(method, f"/api/tasks/{task['id']}{suffix}", json=body)
        assert_error(response, 403, "geen_toegang")
        assert "auditor" in response.get_json()["bericht"]
    detail = api.as_("vera").get(f"/api/tasks/{task['id']}").get_json()["task"]
    assert (detail["state"], detail["assignee"]) == ("open", None)


def test_html_in_task_data_comes_back_verbatim(api):
    case, task = cab_task(api)
    data = dict(CAB, advies_tekst="<img src=x onerror=alert(1)> & <script>x()</script>")
    api.as_("vera").put(f"/api/tasks/{task['id']}/draft", json=data)
    assert api.as_("vera").get(f"/api/tasks/{task['id']}").get_json()["draft"]["advies_tekst"] == data["advies_tekst"]
    api.as_("vera").post(f"/api/tasks/{task['id']}/complete", json=data)
    event = [e for e in api.as_("anna").get(f"/api/cases/{case['id']}/history").get_json() if e["seq"]][-1]
    assert event["data"]["data"]["advies_tekst"] == data["advies_tekst"]
