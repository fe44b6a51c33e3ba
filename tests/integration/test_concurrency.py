"""Two people completing tasks of one case at the same moment: one wins, the other is told
clearly, nothing is lost, and the loser can simply try again."""
import threading

import pytest

from app.service import Conflict, Service
import app.service.tasks as task_service
from tests.conftest import FORMS, PROCESSES
from tests.procedures.driver import CaseDriver, casus

CAB = {
    "advies_type": "andere_aanpak", "advies_tekst": "Zorg en netwerkberaad.",
    "afspraken": [{"wie": "Anna", "wat": "Regelen"}], "interventies": ["zorg", "netwerkberaad"],
    "benodigde_partijen": [{"naam": "Oma de Vries"}],
}
ZORG = {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam", "zorg_vht_organisatie": False}
AFSPRAAK = {"benodigde_partijen": [{"naam": "Oma de Vries"}], "gesprek_datum": "2026-03-12T10:00",
            "locatie": "Gemeentehuis"}


def two_parallel_tasks(service, clock) -> CaseDriver:
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", CAB)
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    assert case.open_ids() == ["Task_AfspraakMaken", "Task_ContactZorgLeggen"]
    return case


def race(monkeypatch, first: Service, second: Service, jobs, wait: float = 10):
    """Run both completions so that each has loaded the case before either saves."""
    barrier = threading.Barrier(2, timeout=wait)
    original = task_service.load_run

    def load_then_wait(ctx, instance):
        run = original(ctx, instance)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # SQLite lets only one writer in at a time: the other waits at BEGIN instead
        return run

    monkeypatch.setattr(task_service, "load_run", load_then_wait)
    results = [None, None]

    def work(i, service, task_id, data, actor):
        try:
            results[i] = service.complete_task(task_id, data, actor)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i, svc, *job)) for i, (svc, job) in enumerate(zip((first, second), jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    monkeypatch.setattr(task_service, "load_run", original)
    return results


@pytest.mark.postgres
def test_postgres_one_completion_wins_the_other_gets_a_conflict(monkeypatch, clock, request):
    url = request.getfixturevalue("pg_database")
    from tests.conftest import _clean_pg
    _clean_pg(url)
    first = Service(url, PROCESSES, FORMS, clock=clock)
    second = Service(url, PROCESSES, FORMS, clock=clock)  # a second process: its own connections
    try:
        case = two_parallel_tasks(first, clock)
        zorg, afspraak = case.task("Task_ContactZorgLeggen"), case.task("Task_AfspraakMaken")
        results = race(monkeypatch, first, second, [(zorg.id, ZORG, "anna"), (afspraak.id, AFSPRAAK, "anna")])
        conflicts = [r for r in results if isinstance(r, Conflict)]
        winners = [r for r in results if not isinstance(r, Exception)]
        assert len(winners) == 1 and len(conflicts) == 1, results
        assert "Iemand anders heeft deze casus net gewijzigd" in conflicts[0].message
        # Nothing of the loser was saved: its task is still open, and trying again works.
        loser_id = afspraak.id if winners[0].id == zorg.id else zorg.id
        assert second.task(loser_id).state == "open"
        second.complete_task(loser_id, AFSPRAAK if loser_id == afspraak.id else ZORG, "anna")
        open_now = case.open_ids()
        assert "Task_AfspraakMaken" not in open_now and "Task_ContactZorgLeggen" not in open_now
        assert [e.type for e in first.case_history(case.case_id)].count("task_completed") == 4
        case.assert_replays()
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_sqlite_serialises_the_two_completions_and_both_land(monkeypatch, sqlite_service, clock):
    second = Service(str(sqlite_service.engine.url), PROCESSES, FORMS, clock=clock)
    case = two_parallel_tasks(sqlite_service, clock)
    zorg, afspraak = case.task("Task_ContactZorgLeggen"), case.task("Task_AfspraakMaken")
    results = race(monkeypatch, sqlite_service, second,
                   [(zorg.id, ZORG, "anna"), (afspraak.id, AFSPRAAK, "anna")], wait=0.5)
    assert not any(isinstance(r, Exception) for r in results), results
    assert "Task_AfspraakMaken" not in case.open_ids() and "Task_ContactZorgLeggen" not in case.open_ids()
    case.assert_replays()
    second.engine.dispose()


def test_completing_a_task_twice_is_a_clear_conflict(sqlite_service, clock):
    case = two_parallel_tasks(sqlite_service, clock)
    task = case.task("Task_ContactZorgLeggen")
    sqlite_service.complete_task(task.id, ZORG, "anna")
    with pytest.raises(Conflict, match="al afgerond"):
        sqlite_service.complete_task(task.id, ZORG, "anna")
