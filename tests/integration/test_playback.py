"""Playback on the case page: the case at every recorded event, as replay reproduces it (issue 12, part 1).

One frame per event; at each the completed path, the tokens and the data as they were then, and
the values entered with that event. A tampered history stops the playback with the reason. The
JSON behind the player is for whoever may see the case, an auditor included; others get a 404.
"""
import re

from sqlalchemy import text

from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import cab
from tests.web.helpers import build_web
from tests.conftest import drop_append_only_guards

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def _case(service, clock) -> CaseDriver:
    """P0 into P3 (interventiegesprek): start, a claim, three completions."""
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    service.claim(case.task("Task_CabHouden").id, "vera")
    case.complete("Task_CabHouden", cab("interventiegesprek"))
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    case.complete("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                         "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"}]})
    return case


def _frames(service, case, username="anna"):
    return service.playback(username, case.case_id)


def test_one_frame_per_event_with_the_path_tokens_and_data_of_that_moment(service, clock):
    case = _case(service, clock)
    result = _frames(service, case)
    history = service.case_history(case.case_id)
    assert result.reason is None and result.diverged_at is None
    assert [(f.seq, f.type, f.actor) for f in result.frames] == [(e.seq, e.type, e.actor) for e in history]
    assert [f.type for f in result.frames] == ["instance_started", "task_claimed", "task_completed",
                                               "task_completed", "task_completed"]
    assert all(RFC3339.fullmatch(f.at) for f in result.frames)
    started, claimed, cab_done, advies_done, moment_done = result.frames
    p0 = "p0_consultatie_advies"

    # 1: only the start; the CAB is where the token is; nothing of the CAB in the data yet.
    (instance,) = started.instances
    assert instance.process_id == p0 and instance.version == 1 and instance.name == "Consultatie- en adviesbespreking"
    assert instance.completed(p0) == {"StartEvent_CasusIngebracht"} and instance.active(p0) == {"Task_CabHouden"}
    assert started.label == "Procedure gestart: Consultatie- en adviesbespreking"
    assert started.entered["gemeente"] == "roosendaal" and "advies_tekst" not in instance.data

    # 2: a claim moves no token: the same picture, its own label.
    assert claimed.label == "Taak opgepakt: Consultatie- en adviesbespreking houden" and claimed.entered == {}
    assert claimed.instances[0].completed() == instance.completed() and claimed.instances[0].active() == instance.active()

    # 3: the CAB is done; the advice is being worked into the card (a called process of its own).
    (instance,) = cab_done.instances
    assert "Task_CabHouden" in instance.completed(p0) and "Task_CabHouden" not in instance.active()
    assert instance.active("sp_vk_verwerken") >= {"Task_AdviesVerwerken"}
    assert cab_done.entered["interventies"] == ["interventiegesprek"] and cab_done.actor == "vera"
    assert instance.data["advies_tekst"] == cab("interventiegesprek")["advies_tekst"]
    assert "vk_advies_verwerkt" not in instance.data and "gesprek_datum" not in instance.data

    # 4 and 5: into the interventiegesprek; the values entered later are only there later.
    assert "Task_AdviesVerwerken" in advies_done.instances[0].completed("sp_vk_verwerken")
    assert "Task_MomentPlannen" in advies_done.instances[0].active()
    assert advies_done.instances[0].data["vk_advies_verwerkt"] is True
    assert "gesprek_datum" not in advies_done.instances[0].data
    assert "Task_MomentPlannen" in moment_done.instances[0].completed()
    assert "Task_VeiligheidInschatten" in moment_done.instances[0].active()
    assert moment_done.entered["gesprek_datum"].startswith("2026-03-12T10:00")  # as the form stored it
    assert moment_done.instances[0].data["gesprek_datum"] == moment_done.entered["gesprek_datum"]
    assert moment_done.entered["deelnemers"] == [{"naam": "Petra de Vries", "rol": "ouder"}]
    # What the case page shows now is what the last frame shows.
    view = service.case_view("anna", case.case_id)
    now = {d.process_id: (set(d.completed), set(d.active)) for d in view.instances[0].diagrams}
    last = {d.process_id: (set(d.completed), set(d.active)) for d in moment_done.instances[0].diagrams}
    assert last == now
    # The diagrams the frames name, with their XML, and the form labels of the data.
    assert {v.process_id for v in result.versions.values()} >= {p0, "sp_vk_verwerken"}
    assert result.fields["advies_tekst"].label


def test_a_correction_is_a_step_with_the_value_before_and_after(service, clock):
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", cab("interventiegesprek"))
    service.upsert_user("bea", "Bea Beheerder", ["beheerder"], email="bea@example.org")
    service.correct_data(case.case_id, case.instance().id, "advies_tekst", "Gecorrigeerd advies.", "bea", "Typfout")
    before, corrected = _frames(service, case).frames[-2:]
    assert corrected.type == "gegevens_gecorrigeerd" and corrected.actor_name == "Bea Beheerder"
    assert corrected.label == "Gegevens gecorrigeerd door de beheerder: Advies"  # the field's label in its form
    (change,) = corrected.changes
    assert (change.before, change.after) == (cab("interventiegesprek")["advies_tekst"], "Gecorrigeerd advies.")
    assert before.instances[0].data["advies_tekst"] == change.before
    assert corrected.instances[0].data["advies_tekst"] == "Gecorrigeerd advies."
    assert corrected.instances[0].active() == before.instances[0].active()  # no token moved


def _drop_guard(service):
    with service.engine.begin() as connection:
        drop_append_only_guards(connection)


def test_a_tampered_event_stops_the_playback_there_with_the_reason(service, clock):
    case = _case(service, clock)
    _drop_guard(service)  # someone with database access goes around the product
    with service.engine.begin() as connection:
        row = connection.execute(text("SELECT data FROM event WHERE case_id = :c AND seq = 3"),
                                 {"c": case.case_id}).scalar_one()
        forged = (row if isinstance(row, str) else __import__("json").dumps(row)).replace(
            "interventiegesprek", "netwerkberaad")
        connection.execute(text("UPDATE event SET data = :d WHERE case_id = :c AND seq = 3"),
                           {"d": forged, "c": case.case_id})
    result = _frames(service, case)
    assert [f.seq for f in result.frames] == [1, 2]
    assert result.diverged_at == 3 and result.events == 5
    assert "Gebeurtenis 3 (Taak afgerond" in result.reason and "hashketen" in result.reason
    assert "Wat daarna gebeurde is hier niet te zien" in result.reason


def _read_as_auditor(browser, case_id: int, url: str):
    """GET `url`; where the auditor is first asked for a reason of access (NEN 7513), give one."""
    response = browser.get(url)
    if response.status_code == 302 and f"/casussen/{case_id}/reden" in response.headers["Location"]:
        form = browser.get(response.headers["Location"]).get_data(as_text=True)
        doel = re.search(r'name="doel" value="([^"]+)"', form).group(1)
        browser.post(f"/casussen/{case_id}/reden", {"doel": doel, "toelichting": "Controle van het dossier."})
        response = browser.get(url)
    return response


def test_the_player_json_is_for_who_may_see_the_case(service, clock):
    case = _case(service, clock)
    web = build_web(service, clock)
    response = _read_as_auditor(web.browser("ahmed"), case.case_id, f"/casussen/{case.case_id}/afspelen.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["afwijking"] is None and body["gebeurtenissen"] == len(body["stappen"]) == 5
    third = body["stappen"][2]
    assert third["label"] == "Taak afgerond: Consultatie- en adviesbespreking houden"
    assert third["door"] == "Vera de Boer" and re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d", third["moment"])
    entered = {v["field"]: v for v in third["ingevoerd"]}
    assert entered["advies_tekst"]["text"] == cab("interventiegesprek")["advies_tekst"]
    assert entered["advies_tekst"]["label"] != "Advies tekst"  # the form's label, not the key
    (procedure,) = third["procedures"]
    diagram = next(d for d in procedure["diagrammen"] if d["process_id"] == "p0_consultatie_advies")
    assert "Task_CabHouden" in diagram["afgerond"]
    assert "<bpmn:definitions" in body["diagrammen"][str(diagram["process_version_id"])]["xml"]
    assert "gesprek_datum" not in {v["field"] for v in procedure["gegevens"]}

    # An inbrenger of another gemeente does not see the case, nor its playback; nobody logged out does.
    assert web.browser("bram").get(f"/casussen/{case.case_id}/afspelen.json").status_code == 404
    assert web.browser().get(f"/casussen/{case.case_id}/afspelen.json").status_code in (302, 401)
