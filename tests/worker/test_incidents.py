"""Incidents (issue 11 section 1) and their retry, on SQLite and PostgreSQL.

The failures are real engine failures at runtime, not a broken diagram (deploy refuses those):
- timer: the state of a waiting case is corrupted by a direct SQL update (the variable `inbrenger`,
  which the next task's camunda:assignee reads, is renamed), so firing its timer fails when the
  task it reaches is projected; correcting the state back (SQL, as a data repair would) and
  retrying fires it;
- act and start: a document hook (AFTER_ACT) that raises, as a letter template that cannot be
  rendered does.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.service import instances as instances_mod
from app.service.errors import CaseProblem, InvalidInput, NotFound, PermissionDenied
from persistence.models import Incident, OutboxMessage, ProcessInstance

from .conftest import START


@pytest.fixture
def beheer(worker_service):
    worker_service.upsert_user("bea", "Bea Beheerder", ["beheerder"], email="bea@example.org")
    worker_service.upsert_user("piet", "Piet Procesbeheerder", ["procesbeheerder"], email="piet@example.org")
    return worker_service


def _wachten(service, omschrijving="wacht"):
    case = service.start_case("worker_wachten", {"omschrijving": omschrijving}, "anna")
    (instance,) = service.case(case.id).instances
    return case, instance.id


def _corrupt(service, instance_id, back=False):
    """Rename the variable the next task's assignee reads (or put it back)."""
    a, b = '"inbrenger": "anna"', '"inbrenger_kapot": "anna"'
    with service.ctx.transaction() as session:
        state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance_id))
        new = state.replace(b, a) if back else state.replace(a, b)
        assert new != state
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(state=new))


def _incidents(service, **filters):
    return [r.incident for r in service.incidents("bea", **filters)]


def test_a_failing_timer_is_an_incident_after_one_round_and_waits_while_others_fire(beheer, clock):
    service = beheer
    broken, broken_instance = _wachten(service, "kapot")
    good, _ = _wachten(service, "goed")
    _corrupt(service, broken_instance)
    later = START + timedelta(days=1, minutes=1)

    results = service.fire_due_timers(later)  # worker round 1
    errors = [r for r in results if r.error]
    assert len(errors) == 1 and errors[0].instance_id == broken_instance
    assert "de beheerder is ingelicht" in errors[0].error
    assert [r.case_id for r in results if not r.error] == [good.id]  # the other case's timer fired
    (incident,) = _incidents(service)  # visible after 1 round
    assert (incident.kind, incident.element_id, incident.element_name) == ("timer", "Task_Opvolgen", "Opvolgen")
    assert incident.case_id == broken.id and incident.actor == "worker" and incident.count == 1
    assert incident.process_id == "worker_wachten" and incident.version == 1
    assert "inbrenger" in incident.message
    assert incident.data_seen.get("inbrenger_kapot") == "anna"  # the data the expression saw

    # Round 2: the failed instance is skipped (not retried every round), nothing else is due.
    assert service.fire_due_timers(later + timedelta(minutes=1)) == []
    assert _incidents(service)[0].count == 1
    # A new case's timer still fires while the incident is open.
    third, _ = _wachten(service, "derde")
    assert [r.case_id for r in service.fire_due_timers(later + timedelta(days=1))] == [third.id]

    # One mail to the beheerder, with a link and no family data.
    with service.ctx.reading() as session:
        (mail,) = session.scalars(select(OutboxMessage).where(OutboxMessage.reason == "incident")).all()
    assert mail.recipients == ["bea@example.org"]
    assert f"/beheer/incidenten/{incident.id}" in mail.body and broken.referentie in mail.body
    assert "Opvolgen" in mail.body and "kapot" not in mail.body

    # The case shows "probleem" (case page and werkbak rows read the open incident).
    assert service.case_view("anna", broken.id).problems == 1
    assert service.case_view("anna", good.id).problems == 0


def test_a_failing_retry_counts_up_and_a_retry_after_the_data_is_corrected_moves_the_case_on(beheer, clock):
    service = beheer
    case, instance_id = _wachten(service)
    _corrupt(service, instance_id)
    clock.advance(timedelta(days=1, minutes=1))  # the retry fires at the clock's now
    service.fire_due_timers(START + timedelta(days=1, minutes=1))
    (incident,) = _incidents(service)

    with pytest.raises(InvalidInput):
        service.retry_incident(incident.id, "bea", "  ")
    with pytest.raises(PermissionDenied):
        service.retry_incident(incident.id, "anna", "ik wil")
    with pytest.raises(CaseProblem) as failed:  # data still wrong
        service.retry_incident(incident.id, "bea", "nog eens")
    assert failed.value.incident_id == incident.id
    (incident,) = _incidents(service)
    assert incident.count == 2 and incident.status == "open"
    with service.ctx.reading() as session:  # a recurrence mails nobody again
        assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.reason == "incident")).all()) == 1

    _corrupt(service, instance_id, back=True)  # the data repaired
    result = service.retry_incident(incident.id, "piet", "toestand gecorrigeerd")
    assert result.resolved
    assert _incidents(service) == []
    (solved,) = _incidents(service, status="opgelost")
    assert solved.resolved_by == "piet" and "toestand gecorrigeerd" in solved.resolved_how
    types = [e.type for e in service.case_history(case.id)]
    assert types[-2:] == ["timer_fired", "reparatie"]
    repair = service.case_history(case.id)[-1]
    assert repair.actor == "piet" and repair.data["reden"] == "toestand gecorrigeerd"
    assert [t.bpmn_id for t in service.tasks(case_id=case.id)] == ["Task_Opvolgen"]
    # The auditor's replay re-runs the timer firing and skips the repair note: identical.
    assert service.replay_case(case.id).identical
    with pytest.raises(InvalidInput):
        service.retry_incident(incident.id, "bea", "nog een keer")
    with pytest.raises(NotFound):
        service.incident("bea", 9999)


def _raising_hook(on_type):
    def hook(ctx, session, instance, event, outgoing):
        if event.type == on_type:
            raise RuntimeError("sjabloon kon niet gemaakt worden")
    return hook


def test_a_failing_document_hook_at_an_act_is_an_incident_and_nothing_is_saved(beheer, monkeypatch):
    service = beheer
    case = service.start_case("worker_timer", {"omschrijving": "act"}, "anna")
    (task,) = service.tasks(case_id=case.id)
    events_before = len(service.case_history(case.id))
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _raising_hook("task_completed")])
    for _ in range(2):
        with pytest.raises(CaseProblem) as problem:
            service.complete_task(task.id, {"akkoord": True}, "anna")
        assert problem.value.message == ("Deze casus heeft een probleem bij 'Beoordelen'; de beheerder is ingelicht. "
                                         "Er is niets opgeslagen.")
        assert problem.value.as_dict()["code"] == "casus_probleem"
    (incident,) = _incidents(service)
    assert (incident.kind, incident.element_id, incident.actor, incident.count) == ("act", "Task_Beoordelen", "anna", 2)
    assert "sjabloon kon niet gemaakt worden" in incident.message
    assert incident.data_seen == {"akkoord": True}
    assert len(service.case_history(case.id)) == events_before  # the act was rolled back
    assert service.task(task.id).state == "open"
    # The procesbeheerder reads it too; the data only as field names on the page (tests/web).
    assert [r.incident.id for r in service.incidents("piet")] == [incident.id]
    assert service.incidents("piet")[0].may_see_case is False  # not involved in the case
    with pytest.raises(PermissionDenied):
        service.incidents("anna")

    monkeypatch.setattr(instances_mod, "AFTER_ACT", [h for h in instances_mod.AFTER_ACT
                                                      if h.__name__ != "hook"])
    result = service.retry_incident(incident.id, "bea", "sjabloon hersteld")
    assert "opnieuw indienen" in result.how
    assert service.case_history(case.id)[-1].type == "reparatie"
    service.complete_task(task.id, {"akkoord": True}, "anna")  # the professional submits again
    assert service.replay_case(case.id).identical


def test_a_failing_start_is_an_incident_without_a_case(beheer, monkeypatch):
    service = beheer
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _raising_hook("instance_started")])
    cases_before = len(service.cases())
    with pytest.raises(CaseProblem):
        service.start_case("worker_timer", {"omschrijving": "start"}, "anna")
    assert len(service.cases()) == cases_before
    (incident,) = _incidents(service, kind="start")
    assert incident.case_id is None and incident.instance_id is None and incident.process_id == "worker_timer"
    with pytest.raises(CaseProblem):
        service.start_case("worker_timer", {"omschrijving": "start"}, "anna")
    assert _incidents(service, kind="start")[0].count == 2
    assert _incidents(service, kind="timer") == []


def test_a_failing_message_delivery_is_a_bericht_incident(service, clock, monkeypatch):
    """On the product's own procedures: the inbrenger records 'moment wijzigen' and a document hook fails."""
    from tests.procedures.gesprek_steps import organiseren, reactie_vragen, start_through_p0

    service.upsert_user("bea", "Bea Beheerder", ["beheerder"], email="bea@example.org")
    case = start_through_p0(service, clock, "interventiegesprek")
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _raising_hook("message_delivered")])
    with pytest.raises(CaseProblem):
        case.message("moment_wijzigen", {"reden_moment_wijzigen": "De voorzitter is ziek."})
    (incident,) = _incidents(service)
    assert incident.kind == "bericht" and incident.case_id == case.case_id and incident.actor == "anna"
    assert incident.data_seen == {"reden_moment_wijzigen": "De voorzitter is ziek."}
    assert "moment_wijzigen" in case.instance().waiting_messages  # nothing was saved
