"""The timeline and completed tasks through the API (issue 12, part 1): GET /api/cases/{id}/history
with the values entered, before/after, kinds and filters; GET /api/tasks/{id} of a completed task
with what was submitted; every timestamp RFC 3339 with seconds and offset."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.procedures.gesprek_steps import cab

from .helpers import assert_error, open_task, start_p0

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
TIME_LIKE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
TIME_KEYS = {"at", "due_at", "created_at", "completed_at", "next_timer_at", "aangemaakt_op", "added_at"}
CAB = dict(cab("interventiegesprek"), netwerkpartner_gebruikers=["nina"])


def _held(api, clock) -> tuple[dict, dict]:
    anna = api.as_("anna")
    case = start_p0(anna)
    task = open_task(case, "Task_CabHouden")
    vera = api.as_("vera")
    assert vera.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    clock.advance(timedelta(seconds=7))
    assert vera.post(f"/api/tasks/{task['id']}/complete", json=CAB).status_code == 200
    return case, task


def _times(value, key=None):
    """Every timestamp in a JSON answer: the known time fields, and any string that looks like one."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _times(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _times(item, key)
    elif isinstance(value, str) and (key in TIME_KEYS or TIME_LIKE.match(value)) and key != "data":
        yield key, value


def test_a_completed_task_comes_with_what_was_submitted(api, clock):
    case, task = _held(api, clock)
    for username in ("vera", "anna", "ahmed"):  # who did it, the inbrenger, the auditor
        response = api.as_(username).get(f"/api/tasks/{task['id']}")
        assert response.status_code == 200, (username, response.get_json())
        body = response.get_json()
        submitted = body["submitted"]
        assert body["task"]["state"] == "completed" and body["task"]["completed_by"] == "vera"
        assert (submitted["completed_by"], submitted["completed_by_name"]) == ("vera", "Vera VHT")
        assert submitted["completed_at"] == "2026-03-02T09:00:07+01:00"
        assert submitted["data"]["advies_tekst"] == CAB["advies_tekst"]
        labelled = {v["label"]: v for v in submitted["values"]}
        assert labelled["Datum van de bespreking"]["text"] == "02-03-2026"
        assert labelled["Aansluitende netwerkpartners met een account"]["text"] == "Nina Netwerkpartner"
        assert labelled["Afspraken over de uitvoering"]["rows"][0][1] == {
            "field": "wat", "label": "Wat", "text": "Interventiegesprek organiseren"}
    assert api.as_("bram").get(f"/api/tasks/{task['id']}").status_code == 404  # not involved
    open_one = api.as_("anna").get(f"/api/cases/{case['id']}").get_json()["open_tasks"][0]
    assert api.as_("anna").get(f"/api/tasks/{open_one['id']}").get_json()["submitted"] is None


def test_the_history_is_the_timeline_with_values_kinds_and_filters(api, clock):
    case, _ = _held(api, clock)
    anna = api.as_("anna")
    url = f"/api/cases/{case['id']}/history"
    history = anna.get(url).get_json()
    events = [e for e in history if e["seq"] is not None]
    assert [(e["kind"], e["type"]) for e in events] == [
        ("start", "instance_started"), ("claim", "task_claimed"), ("taak", "task_completed")]
    held = events[-1]
    assert (held["label"], held["actor"], held["actor_name"]) == ("Taak afgerond", "vera", "Vera VHT")
    assert held["title"] == "Taak afgerond: Consultatie- en adviesbespreking houden"
    assert held["process_id"] == "p0_consultatie_advies" and len(held["hash"]) == 64
    assert {"label": "Soort advies", "field": "advies_type",
            "text": "Er zijn mogelijkheden om een andere aanpak in te zetten"} in held["values"]
    mails = [e for e in history if e["kind"] == "mail"]
    assert mails and all(e["seq"] is None and e["hash"] is None and e["label"] == "Mail" for e in mails)
    assert mails[0]["details"][-1] == "Status: in de wachtrij"

    assert [e["type"] for e in anna.get(url, query_string={"persoon": "vera"}).get_json()] == [
        "task_claimed", "task_completed"]
    assert [e["type"] for e in anna.get(url, query_string={"persoon": "vera", "soort": "claim"}).get_json()] == [
        "task_claimed"]
    only = anna.get(url, query_string={"procedure": "p0_consultatie_advies", "soort": "mail"}).get_json()
    assert only and {e["kind"] for e in only} == {"mail"}
    assert anna.get(url, query_string={"procedure": "p5_warme_overdracht"}).get_json() == []
    velden = assert_error(anna.get(url, query_string={"soort": "alles"}), 422, "ongeldige_invoer")
    assert "soort" in velden


def test_every_api_timestamp_has_seconds_and_an_offset(api, clock):
    case, task = _held(api, clock)
    anna = api.as_("anna")
    answers = [anna.get(f"/api/cases/{case['id']}").get_json(), anna.get("/api/cases").get_json(),
               anna.get(f"/api/cases/{case['id']}/history").get_json(), anna.get("/api/tasks").get_json(),
               anna.get(f"/api/tasks/{task['id']}").get_json(), api.as_("vera").get("/api/tasks?tab=afgerond").get_json()]
    found = [t for answer in answers for t in _times(answer)]
    assert {key for key, _ in found} >= {"at", "due_at", "created_at", "completed_at", "aangemaakt_op", "added_at"}
    assert all(RFC3339.match(value) for _, value in found), [t for t in found if not RFC3339.match(t[1])]
    assert ("completed_at", "2026-03-02T09:00:07+01:00") in found
