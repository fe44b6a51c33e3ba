"""Accounts and the visibility rules, at the service layer (pages and API use the same rules)."""
from datetime import timedelta

import pytest

from app.service import Conflict, InvalidInput, NotFound, PermissionDenied
from app.service.login_limit import TooManyAttempts
from tests.procedures.driver import CaseDriver, casus

CAB_ZORG = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg.", "afspraken": [{"wie": "A", "wat": "B"}],
            "interventies": ["zorg"]}


@pytest.fixture
def svc(sqlite_service):
    for username in ("anna", "bram", "vera", "rik"):
        sqlite_service.set_password(username, f"{username}-geheim")
    sqlite_service.upsert_user("ahmed", "Ahmed Auditor", ["auditor"])
    sqlite_service.upsert_user("pieter", "Pieter Procesbeheer", ["procesbeheerder"])
    return sqlite_service


def test_login_checks_the_password_and_limits_attempts(svc, clock):
    assert svc.authenticate("anna", "anna-geheim", "127.0.0.1").username == "anna"
    assert svc.authenticate("anna", "fout", "127.0.0.1") is None
    assert svc.authenticate("niemand", "fout", "127.0.0.1") is None
    for _ in range(5):
        assert svc.authenticate("bram", "fout", "10.0.0.2") is None
    with pytest.raises(TooManyAttempts):
        svc.authenticate("bram", "bram-geheim", "10.0.0.2")  # even the right password waits
    clock.advance(timedelta(minutes=16))
    assert svc.authenticate("bram", "bram-geheim", "10.0.0.2").username == "bram"


def test_passwords_are_hashed_and_short_ones_refused(svc):
    assert svc.user("anna").password_hash.startswith("scrypt:")
    with pytest.raises(PermissionDenied, match="8 tekens"):
        svc.set_password("anna", "kort")


def test_api_tokens_are_shown_once_and_stored_hashed(svc):
    token = svc.issue_token("anna")
    assert svc.user_for_token(token).username == "anna"
    assert svc.user("anna").api_token_hash != token
    assert svc.user_for_token("vht_verzonnen") is None
    assert svc.user_for_token(svc.issue_token("anna")).username == "anna"
    assert svc.user_for_token(token) is None  # the old one no longer works


def test_who_sees_a_case(svc, clock):
    case = CaseDriver.start(svc, clock, "p0_consultatie_advies", casus())
    assert svc.case_for("anna", case.case_id)  # inbrenger
    assert svc.case_for("vera", case.case_id)  # veiligheidsteam has a task in it
    assert svc.case_for("ahmed", case.case_id)  # auditor reads everything
    for outsider in ("bram", "rik", "pieter"):
        with pytest.raises(NotFound):
            svc.case_for(outsider, case.case_id)
    assert [c.id for c in svc.visible_cases("bram")] == []


def test_reassign_needs_a_reason_and_the_role_and_makes_the_colleague_involved(svc, clock):
    svc.upsert_user("anouk", "Anouk Inbrenger", ["inbrenger"])
    case = CaseDriver.start(svc, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)
    task = case.task("Task_AdviesVerwerken")
    with pytest.raises(InvalidInput, match="reden"):
        svc.reassign(task.id, "anouk", "  ", "anna")
    with pytest.raises(InvalidInput, match="kan deze taak niet doen"):
        svc.reassign(task.id, "vera", "vakantie", "anna")
    with pytest.raises(PermissionDenied):
        svc.reassign(task.id, "anouk", "vakantie", "bram")
    svc.reassign(task.id, "anouk", "Anna is met vakantie", "anna")
    assert svc.task(task.id).assignee == "anouk"
    assert svc.case_for("anouk", case.case_id)
    last = svc.case_history(case.case_id)[-1]
    assert (last.type, last.actor, last.data) == ("task_reassigned", "anna",
                                                   {"van": "anna", "naar": "anouk", "reden": "Anna is met vakantie"})
    with pytest.raises(PermissionDenied):  # it is Anouk's now
        svc.complete_task(task.id, {"vk_advies_verwerkt": True}, "anna")
    svc.complete_task(task.id, {"vk_advies_verwerkt": True}, "anouk")


def test_drafts_are_kept_per_user_and_dropped_on_completion(svc, clock):
    case = CaseDriver.start(svc, clock, "p0_consultatie_advies", casus())
    task = case.task("Task_CabHouden")
    svc.save_draft(task.id, {"advies_tekst": "Half af"}, "vera")
    assert svc.task_for("vera", task.id)[2] == {"advies_tekst": "Half af"}
    with pytest.raises(PermissionDenied):
        svc.save_draft(task.id, {"advies_tekst": "x"}, "anna")
    svc.complete_task(task.id, CAB_ZORG, "vera")
    with pytest.raises(Conflict):
        svc.save_draft(task.id, {"advies_tekst": "te laat"}, "vera")


def test_auditor_reads_but_cannot_act(svc, clock):
    case = CaseDriver.start(svc, clock, "p0_consultatie_advies", casus())
    task = case.task("Task_CabHouden")
    assert svc.history_for("ahmed", case.case_id)
    with pytest.raises(PermissionDenied):
        svc.complete_task(task.id, CAB_ZORG, "ahmed")
    with pytest.raises(PermissionDenied):
        svc.claim(task.id, "ahmed")
    with pytest.raises(PermissionDenied):
        svc.start_case("p0_consultatie_advies", casus(), "ahmed")


def test_only_the_starter_role_starts_a_procedure(svc, clock):
    assert {v.process_id for v in svc.startable_processes("anna")} == {"p0_consultatie_advies"}
    assert {v.process_id for v in svc.startable_processes("gina")} == {
        "p0_consultatie_advies", "p5_warme_overdracht", "p6_achttien_min_plus"}
    assert svc.startable_processes("vera") == []
    with pytest.raises(PermissionDenied, match="gestart door de rol gi"):
        svc.start_case("p5_warme_overdracht", {}, "anna")


def test_inbox_tabs_filters_and_urgency(svc, clock):
    first = CaseDriver.start(svc, clock, "p0_consultatie_advies", casus())
    CaseDriver.start(svc, clock, "p0_consultatie_advies", casus(gemeente="moerdijk"), actor="bram")
    page = svc.inbox("vera", tab="rol")
    assert page.total == 2 and {r.case.gemeente for r in page.rows} == {"roosendaal", "moerdijk"}
    assert svc.inbox("vera", tab="rol", gemeente="moerdijk").total == 1
    assert svc.inbox("vera", tab="rol", search=first.case().referentie.lower()).total == 1
    assert svc.inbox("vera", tab="mijn").total == 0
    first.complete("Task_CabHouden", CAB_ZORG)
    assert [r.task.bpmn_id for r in svc.inbox("vera", tab="afgerond").rows] == ["Task_CabHouden"]
    mine = svc.inbox("anna", tab="mijn")
    assert [r.task.bpmn_id for r in mine.rows] == ["Task_AdviesVerwerken"]
    assert mine.rows[0].urgency == "binnenkort"  # due in 2 working days
    clock.advance(timedelta(days=3))
    assert svc.inbox("anna", tab="mijn", deadline="verlopen").rows[0].urgency == "verlopen"
    assert svc.inbox("anna", tab="mijn", deadline="geen").total == 0


def test_case_view_marks_completed_and_active_elements(svc, clock):
    case = CaseDriver.start(svc, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB_ZORG)
    view = svc.case_view("anna", case.case_id)
    (instance,) = view.instances
    p0 = instance.diagrams[0]
    assert p0.process_id == "p0_consultatie_advies" and "<bpmn:definitions" in p0.xml
    assert "Task_CabHouden" in p0.completed and "StartEvent_CasusIngebracht" in p0.completed
    assert any(d.process_id == "sp_vk_verwerken" and "Task_AdviesVerwerken" in d.active for d in instance.diagrams)
    assert [t.bpmn_id for t, _ in view.open_tasks] == ["Task_AdviesVerwerken"]
    assert view.deadlines and [e.type for e in view.history] == ["instance_started", "task_completed"]
