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


# --- claiming, releasing and handing over at the same moment ------------------------------------

def race_acts(monkeypatch, acts, wait: float = 2):
    """Run the acts in threads so that each has read the task before either writes it."""
    barrier = threading.Barrier(len(acts), timeout=wait)
    original = task_service._open_task

    def read_then_wait(session, task_id):
        task = original(session, task_id)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # SQLite: the other writer waits at BEGIN IMMEDIATE instead
        return task

    monkeypatch.setattr(task_service, "_open_task", read_then_wait)
    results = [None] * len(acts)

    def work(i, act):
        try:
            results[i] = act()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i, act)) for i, act in enumerate(acts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    monkeypatch.setattr(task_service, "_open_task", original)
    return results


def cab_task(service, clock):
    service.upsert_user("vince", "Vince VHT", ["veiligheidsteam"], email="vince@example.org")
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    return case, case.task("Task_CabHouden")


def test_two_people_claiming_one_task_one_wins_the_other_is_told_who(monkeypatch, service, clock):
    case, task = cab_task(service, clock)
    results = race_acts(monkeypatch, [lambda: service.claim(task.id, "vera"), lambda: service.claim(task.id, "vince")])
    winners = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    winner = winners[0].assignee
    naam = {"vera": "Vera VHT", "vince": "Vince VHT"}[winner]
    assert conflicts[0].message == f"Deze taak is al geclaimd door {naam}."
    assert service.task(task.id).assignee == winner
    assert case.history_types().count("task_claimed") == 1


@pytest.fixture
def pg_service(request, clock):
    """PostgreSQL only: there both acts read the task before either writes. (On SQLite writers
    queue, so a hand-over there acts on the claim it waited for, as if done a moment later.)"""
    url = request.getfixturevalue("pg_database")
    from tests.conftest import _clean_pg
    _clean_pg(url)
    svc = Service(url, PROCESSES, FORMS, clock=clock)
    yield svc
    svc.engine.dispose()


@pytest.mark.postgres
def test_a_claim_and_a_hand_over_at_once_one_wins(monkeypatch, pg_service, clock):
    service = pg_service
    case, task = cab_task(service, clock)
    results = race_acts(monkeypatch, [lambda: service.claim(task.id, "vera"),
                                      lambda: service.reassign(task.id, "vince", "Vera is ziek", "anna")])
    winners = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    assert "al geclaimd door" in conflicts[0].message
    assert service.task(task.id).assignee == winners[0].assignee
    assert len([t for t in case.history_types() if t in ("task_claimed", "task_reassigned")]) == 1


@pytest.mark.postgres
def test_releasing_while_a_colleague_hands_it_over_one_wins(monkeypatch, pg_service, clock):
    service = pg_service
    case, task = cab_task(service, clock)
    service.claim(task.id, "vera")
    results = race_acts(monkeypatch, [lambda: service.unclaim(task.id, "vera"),
                                      lambda: service.reassign(task.id, "vince", "Overname", "anna")])
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and isinstance([r for r in results if r not in winners][0], Conflict), results
    assert service.task(task.id).assignee == winners[0].assignee


def test_two_claims_through_the_api_one_200_one_409(monkeypatch, service, clock):
    from tests.api.helpers import ApiApp

    api = ApiApp(service)
    _, task = cab_task(service, clock)
    vera, vince = api.as_("vera"), api.as_("vince")
    # Both have passed the API's access check (the task is free and for their role) before either
    # claims. On SQLite they cannot: a request that writes takes the writer lock with its first
    # statement (one transaction per request), so the other's check waits and then sees the claim.
    both_looked = threading.Barrier(2, timeout=5 if service.engine.dialect.name == "postgresql" else 1)
    claim = service.claim

    def looked_then_claim(*args):
        try:
            both_looked.wait()
        except threading.BrokenBarrierError:
            assert service.engine.dialect.name == "sqlite"
        return claim(*args)

    monkeypatch.setattr(service, "claim", looked_then_claim)
    results = race_acts(monkeypatch, [lambda: vera.post(f"/api/tasks/{task.id}/claim"),
                                      lambda: vince.post(f"/api/tasks/{task.id}/claim")])
    if service.engine.dialect.name == "sqlite":  # the second came a moment later: vera's task now
        assert sorted(r.status_code for r in results) == [200, 404], [r.get_json() for r in results]
        assert service.task(task.id).assignee in ("vera", "vince")
        return
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    loser = next(r for r in results if r.status_code == 409).get_json()
    assert loser["code"] == "conflict" and loser["bericht"].startswith("Deze taak is al geclaimd door ")
