"""A person completes "Beoordelen" at the same moment its deadline (an interrupting boundary
timer, PT1H) fires.

Decision: the act that commits first wins.

- The deadline is enforced by the worker's round, not by the wall clock: a person who submits
  before the worker has fired the deadline wins, even a second (or longer) after the deadline
  moment. Their completion ends the case on the normal path (Eind_op_tijd) and the worker's next
  round finds nothing due.
- Once the worker has fired the deadline, the task is cancelled ("vervallen") and the case ends in
  Eind_te_laat. A person who then submits gets a Conflict saying the task is "vervallen", and
  nothing of their submission is saved (no task_completed event, the task stays cancelled, their
  draft is kept).
- Truly at the same moment (PostgreSQL, two threads that have both loaded the case): exactly one
  wins. The worker holds the instance's row lock from the moment it picked the instance, so the
  person's save finds the instance changed and gets a Conflict; a person whose save already holds
  the row when the worker comes makes the worker skip the instance (SKIP LOCKED), and the person
  wins. Either way the history shows exactly one of task_completed / timer_fired for the task,
  and replaying the case gives the stored state.
- On SQLite writers take turns (BEGIN IMMEDIATE): whichever gets the write lock first wins, the
  other sees the result (worker: nothing due any more; person: task vervallen).
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

import app.service.tasks as task_service
import app.service.timers as timer_service
from app.service import Conflict, Service
from app.service.instances import load_run as original_load_run
from tests.worker.conftest import DEADLINE, FORMS, PROCESSES

ANSWER = {"akkoord": True}


def start(service: Service):
    case = service.start_case("worker_timer", {"omschrijving": "deadline race"}, "anna")
    (task,) = service.tasks(case_id=case.id)
    assert task.bpmn_id == "Task_Beoordelen"
    (instance,) = service.case(case.id).instances
    assert instance.next_timer_at == DEADLINE
    return case.id, task.id


def history(service: Service, case_id: int) -> list[str]:
    return [e.type for e in service.case_history(case_id)]


def assert_person_won(service: Service, case_id: int, task_id: int) -> None:
    task = service.task(task_id)
    assert (task.state, task.completed_by) == ("completed", "anna")
    (instance,) = service.case(case_id).instances
    assert (instance.status, instance.eindstatus, instance.next_timer_at) == ("completed", "op_tijd", None)
    # Its only procedure ended: the case is closed in the same act ("Casus afgesloten"), once.
    assert history(service, case_id) == ["instance_started", "task_completed", "casus_afgesloten"]
    assert service.case(case_id).status == "afgesloten"
    assert service.replay_case(case_id).identical


def assert_deadline_won(service: Service, case_id: int, task_id: int) -> None:
    task = service.task(task_id)
    assert (task.state, task.completed_by) == ("cancelled", None)
    (instance,) = service.case(case_id).instances
    assert (instance.status, instance.eindstatus, instance.next_timer_at) == ("completed", "te_laat", None)
    assert history(service, case_id) == ["instance_started", "timer_fired", "casus_afgesloten"]
    assert service.case(case_id).status == "afgesloten"
    assert service.replay_case(case_id).identical
    with pytest.raises(Conflict, match="vervallen"):
        service.complete_task(task_id, ANSWER, "anna")


# --- one after the other ------------------------------------------------------------------------

@pytest.mark.parametrize("late", [timedelta(seconds=-1), timedelta(seconds=1), timedelta(hours=5)],
                         ids=["a second before", "a second after", "hours after"])
def test_a_person_who_submits_before_the_worker_fired_wins(worker_service, clock, late):
    case_id, task_id = start(worker_service)
    clock.set(DEADLINE + late)
    worker_service.complete_task(task_id, ANSWER, "anna")
    clock.set(DEADLINE + late + timedelta(seconds=1))
    assert worker_service.fire_due_timers() == []  # the worker's next round: nothing is due any more
    assert_person_won(worker_service, case_id, task_id)


def test_once_the_worker_fired_the_task_is_vervallen_and_nothing_of_the_person_is_saved(worker_service, clock):
    case_id, task_id = start(worker_service)
    clock.set(DEADLINE - timedelta(minutes=5))
    worker_service.save_draft(task_id, {"akkoord": False}, "anna")  # she was busy with it
    clock.set(DEADLINE + timedelta(seconds=1))
    (fired,) = worker_service.fire_due_timers()
    assert fired.case_id == case_id and "Eind_te_laat" in [s["bpmn_id"] for s in fired.fired]
    mails = len(worker_service.outbox())

    clock.set(DEADLINE + timedelta(seconds=2))
    with pytest.raises(Conflict, match=r"De taak '.*' is vervallen") as raised:
        worker_service.complete_task(task_id, ANSWER, "anna")
    assert raised.value.details.get("status") == "cancelled"
    assert_deadline_won(worker_service, case_id, task_id)
    assert len(worker_service.outbox()) == mails
    _task, _case, draft = worker_service.task_for("anna", task_id)
    assert draft == {"akkoord": False}  # her draft is not thrown away by the refused submission


def test_a_worker_that_found_the_deadline_due_skips_it_when_the_person_committed_first(worker_service, clock,
                                                                                      monkeypatch):
    """The worker's round listed the instance as due; before it took the instance the person's
    completion (another process: its own Service) committed. The worker fires nothing."""
    case_id, task_id = start(worker_service)
    clock.set(DEADLINE + timedelta(seconds=1))
    web = Service(str(worker_service.engine.url.render_as_string(hide_password=False)), PROCESSES, FORMS,
                  clock=clock)
    original_fire = timer_service.fire_instance

    def person_first(ctx, instance_id, now):
        web.complete_task(task_id, ANSWER, "anna")
        return original_fire(ctx, instance_id, now)

    monkeypatch.setattr(timer_service, "fire_instance", person_first)
    try:
        assert worker_service.fire_due_timers() == []
    finally:
        web.engine.dispose()
    monkeypatch.undo()
    assert_person_won(worker_service, case_id, task_id)


# --- at the same moment ---------------------------------------------------------------------------

def _race(monkeypatch, web: Service, worker: Service, task_id: int, barrier_timeout: float):
    """The person's completion and the worker's round, each pausing after loading the case until
    the other has loaded it too (SQLite: the second one waits at BEGIN, the barrier times out)."""
    barrier = threading.Barrier(2, timeout=barrier_timeout)

    met = []

    def load_then_wait(ctx, instance):
        run = original_load_run(ctx, instance)
        try:
            barrier.wait()
            met.append(threading.current_thread().name)
        except threading.BrokenBarrierError:
            pass
        return run

    monkeypatch.setattr(task_service, "load_run", load_then_wait)
    monkeypatch.setattr(timer_service, "load_run", load_then_wait)
    results: dict[str, object] = {}

    def person():
        try:
            results["person"] = web.complete_task(task_id, ANSWER, "anna")
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results["person"] = exc

    def round_():
        try:
            results["worker"] = worker.fire_due_timers()
        except Exception as exc:  # noqa: BLE001
            results["worker"] = exc

    threads = [threading.Thread(target=person), threading.Thread(target=round_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    monkeypatch.undo()
    assert not any(t.is_alive() for t in threads), "a side is still waiting: deadlock?"
    return results["person"], results["worker"], len(met) == 2


def _exactly_one_won(service: Service, case_id: int, task_id: int, person, worker_round) -> str:
    assert not isinstance(worker_round, Exception), worker_round
    if isinstance(person, Conflict):
        assert [r.case_id for r in worker_round] == [case_id]
        assert_deadline_won(service, case_id, task_id)
        return "deadline"
    assert not isinstance(person, Exception), person
    assert worker_round == []
    assert_person_won(service, case_id, task_id)
    return "person"


@pytest.mark.postgres
def test_postgres_simultaneous_exactly_one_wins(worker_pg, clock, monkeypatch):
    web = Service(worker_pg, PROCESSES, FORMS, clock=clock)  # the web process
    worker = Service(worker_pg, PROCESSES, FORMS, clock=clock)  # the worker process
    winners = []
    try:
        for _ in range(5):
            clock.set(DEADLINE - timedelta(hours=1))
            case_id, task_id = start(web)
            clock.set(DEADLINE + timedelta(seconds=1))
            person, worker_round, both_loaded = _race(monkeypatch, web, worker, task_id, barrier_timeout=10)
            assert both_loaded  # each side had the case loaded before either saved
            if isinstance(person, Conflict):
                # She gets the plain "someone changed this case" message; reloading shows "vervallen".
                assert "Iemand anders heeft deze casus net gewijzigd" in person.message
            winners.append(_exactly_one_won(web, case_id, task_id, person, worker_round))
    finally:
        web.engine.dispose()
        worker.engine.dispose()
    # The worker locks the instance before it loads it, so with both loaded the worker is first.
    assert winners == ["deadline"] * 5


@pytest.mark.postgres
def test_postgres_a_person_whose_save_holds_the_case_makes_the_worker_skip_it(worker_pg, clock, monkeypatch):
    """The person's save has written the instance (row locked, not yet committed) when the worker
    comes: the worker skips the instance (SKIP LOCKED), the person commits and wins."""
    web = Service(worker_pg, PROCESSES, FORMS, clock=clock)
    worker = Service(worker_pg, PROCESSES, FORMS, clock=clock)
    case_id, task_id = start(web)
    clock.set(DEADLINE + timedelta(seconds=1))
    original_record = task_service.record_act
    rounds = []

    def record_then_let_the_worker_run(*args, **kwargs):
        event = original_record(*args, **kwargs)  # flushed: the instance row is locked by the person
        thread = threading.Thread(target=lambda: rounds.append(worker.fire_due_timers()))
        thread.start()
        thread.join(30)
        return event

    monkeypatch.setattr(task_service, "record_act", record_then_let_the_worker_run)
    try:
        web.complete_task(task_id, ANSWER, "anna")
        monkeypatch.undo()
        assert rounds == [[]]  # it ran while she held the case, and took nothing
        assert worker.fire_due_timers() == []  # nor afterwards: the deadline is gone with the task
        assert_person_won(web, case_id, task_id)
    finally:
        web.engine.dispose()
        worker.engine.dispose()


def test_sqlite_simultaneous_exactly_one_wins(worker_sqlite, clock, monkeypatch):
    web = Service(worker_sqlite, PROCESSES, FORMS, clock=clock)
    worker = Service(worker_sqlite, PROCESSES, FORMS, clock=clock)
    try:
        for _ in range(3):
            clock.set(DEADLINE - timedelta(hours=1))
            case_id, task_id = start(web)
            clock.set(DEADLINE + timedelta(seconds=1))
            person, worker_round, _ = _race(monkeypatch, web, worker, task_id, barrier_timeout=0.5)
            _exactly_one_won(web, case_id, task_id, person, worker_round)
    finally:
        web.engine.dispose()
        worker.engine.dispose()


def test_the_inbox_shows_the_interrupting_timer_as_the_tasks_deadline(worker_service, clock):
    """'Beoordelen' has no camunda:dueDate; its deadline is the timer on its border (PT1H)."""
    case_id, task_id = start(worker_service)
    assert worker_service.task(task_id).due_at == clock.now() + timedelta(hours=1)
