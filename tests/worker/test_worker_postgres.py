"""Timer workers on PostgreSQL, as separate operating-system processes (`vht run-timers --now`).

- Two workers started at the same moment over 1,000 due deadlines: each deadline fires exactly
  once, every case ends in Eind_te_laat, and both workers did part of the work.
- A worker killed with SIGKILL in the middle of its batch: every instance is either untouched
  (still waiting, task open, no timer event, case open) or completely fired (ended, task cancelled,
  one timer event, the case 'afgesloten' with one casus_afgesloten event); a second run fires the
  rest, and in total each deadline fired once.

The two racing workers get `--now` one second apart (both after the deadline), so the `at` of
each timer_fired event tells which worker fired it without relying on their output. The kill is
timed by the database, not by a fixed delay (starting `vht` alone takes longer than the ~0.3 s a
batch of this size needs to get going): SIGKILL as soon as a few deadlines have fired, and the
attempt is repeated if the worker was already done.
"""
from __future__ import annotations

import multiprocessing
import re
import signal
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.engine.clock import FixedClock
from app.service import Service
from tests.conftest import _clean_pg
from tests.worker.conftest import DEADLINE, FORMS, INBRENGERS, PROCESSES, START, VHT, vht_env

pytestmark = pytest.mark.postgres

RACE_CASES = 1000
KILL_CASES = 300
FIRED_LINE = re.compile(r"^casus \d+ instantie \d+: .*Termijn verstreken")
TOTAL_LINE = re.compile(r"^(\d+) instantie\(s\) bijgewerkt$")


def _start_in_child(job: tuple[str, str, int]) -> list[int]:
    url, actor, n = job
    service = Service(url, PROCESSES, FORMS, clock=FixedClock(START))
    try:
        return [service.start_case("worker_timer", {"omschrijving": f"casus {i}"}, actor).id for i in range(n)]
    finally:
        service.engine.dispose()


def start_cases(service: Service, n: int, workers: int = 2) -> tuple[list[int], float]:
    """Start n cases of worker_timer through the service layer, in a few forked processes (the
    engine work is CPU-bound: threads share one interpreter lock) with one inbrenger each (one
    person's starts at one clock instant would queue on the case's temporary reference)."""
    url = service.engine.url.render_as_string(hide_password=False)
    service.engine.dispose()  # no connection of ours is inherited by the children
    jobs = [(url, INBRENGERS[k], n // workers + (1 if k < n % workers else 0)) for k in range(workers)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        ids = [case_id for chunk in pool.map(_start_in_child, jobs) for case_id in chunk]
    return sorted(ids), time.perf_counter() - t0


def instance_rows(service: Service) -> list:
    """Per instance: what the engine columns, the inbox and the history say."""
    with service.engine.connect() as connection:
        return connection.execute(text("""
            SELECT i.id, i.case_id, i.status, i.eindstatus, i.next_timer_at,
                   (SELECT string_agg(h.state, ',' ORDER BY h.id) FROM human_task h WHERE h.instance_id = i.id)
                       AS tasks,
                   (SELECT count(*) FROM event e WHERE e.instance_id = i.id AND e.type = 'timer_fired')
                       AS timer_events,
                   (SELECT count(*) FROM event e WHERE e.case_id = i.case_id) AS events,
                   (SELECT count(*) FROM event e WHERE e.case_id = i.case_id AND e.type = 'casus_afgesloten')
                       AS closed_events,
                   (SELECT c.status FROM casus c WHERE c.id = i.case_id) AS case_status
            FROM process_instance i ORDER BY i.id
        """)).all()


def fired_count(service: Service) -> int:
    with service.engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM event WHERE type = 'timer_fired'"))


def waiting(row) -> bool:
    return (row.status == "running" and row.eindstatus is None and row.next_timer_at == DEADLINE
            and row.tasks == "open" and row.timer_events == 0 and row.events == 1 and row.case_status == "open")


def fired(row) -> bool:
    return (row.status == "completed" and row.eindstatus == "te_laat" and row.next_timer_at is None
            and row.tasks == "cancelled" and row.timer_events == 1
            # the case's only procedure ended: the case is closed in the same act, once
            and row.closed_events == 1 and row.case_status == "afgesloten" and row.events == 3)


def run_timers(url: str, now) -> subprocess.Popen:
    return subprocess.Popen([str(VHT), "run-timers", "--now", now.isoformat()], env=vht_env(url),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_no_open_transactions(service: Service, timeout: float = 10) -> None:
    """A killed client's backend rolls back when it notices the closed socket; wait for that."""
    deadline = time.monotonic() + timeout
    with service.engine.connect() as connection:
        while True:
            busy = connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"))
            if not busy or time.monotonic() > deadline:
                return
            connection.rollback()
            time.sleep(0.02)


def backend_states(service: Service) -> list[str]:
    """What the other connections to this database are doing (the worker's: 'active' or 'idle in transaction')."""
    with service.engine.connect() as connection:
        return list(connection.scalars(text(
            "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state IS NOT NULL AND backend_type = 'client backend'")))


def assert_replays(service: Service, case_ids) -> None:
    for case_id in case_ids:
        report = service.replay_case(case_id)
        assert report.identical, str(report)


@pytest.fixture
def pg_service(worker_pg, clock):
    service = Service(worker_pg, PROCESSES, FORMS, clock=clock)
    yield service
    service.engine.dispose()


def test_two_workers_racing_over_1000_due_deadlines_fire_each_once(pg_service, capsys):
    case_ids, seconds = start_cases(pg_service, RACE_CASES)
    started_rate = RACE_CASES / seconds
    rows = instance_rows(pg_service)
    assert len(rows) == RACE_CASES and all(waiting(r) for r in rows)

    moments = [DEADLINE + timedelta(seconds=1), DEADLINE + timedelta(seconds=2)]
    t0 = time.perf_counter()
    workers = [run_timers(pg_service.engine.url.render_as_string(hide_password=False), m) for m in moments]
    outputs = [w.communicate(timeout=120) for w in workers]
    wall = time.perf_counter() - t0

    with pg_service.engine.connect() as connection:
        by_moment = dict(connection.execute(text(
            "SELECT at, count(*) FROM event WHERE type = 'timer_fired' GROUP BY at")).all())
        duplicates = connection.execute(text(
            "SELECT instance_id, count(*) FROM event WHERE type = 'timer_fired' "
            "GROUP BY instance_id HAVING count(*) > 1")).all()
    done = [by_moment.get(m, 0) for m in moments]
    with capsys.disabled():
        print(f"\n  started {RACE_CASES} cases in {seconds:.1f} s ({started_rate:.0f}/s, 2 processes); "
              f"two workers fired {done[0]} + {done[1]} = {sum(done)} deadlines in {wall:.1f} s wall time")

    # Exactly once: no instance has two timer events, and every instance is wholly one or the other.
    assert duplicates == []
    rows = instance_rows(pg_service)
    half_done = [r for r in rows if not (fired(r) or waiting(r))]
    assert half_done == []
    # Every deadline fired (`vht run-timers` promises all timers due at --now).
    assert sum(done) == RACE_CASES, (
        f"only {sum(done)} of {RACE_CASES} due deadlines fired by two `vht run-timers` runs; "
        f"{sum(1 for r in rows if waiting(r))} cases are still waiting")
    assert all(fired(r) for r in rows)
    assert set(by_moment) <= set(moments)
    assert min(done) > 0, f"one worker did all the work: {done}"
    assert_replays(pg_service, case_ids[:: RACE_CASES // 20])

    # Each worker's own account matches the history: one line per instance it fired, and a total.
    for worker, (out, err), count in zip(workers, outputs, done):
        assert worker.returncode == 0, err[-3000:]
        lines = out.splitlines()
        assert sum(1 for line in lines if FIRED_LINE.match(line)) == count, out[-2000:]
        assert TOTAL_LINE.match(lines[-1]) and int(TOTAL_LINE.match(lines[-1]).group(1)) == count


def test_a_worker_killed_mid_batch_leaves_nothing_half_done(pg_service, capsys):
    url = pg_service.engine.url.render_as_string(hide_password=False)
    now = DEADLINE + timedelta(seconds=1)
    for attempt in range(3):  # the kill must land after some but before all deadlines fired
        _clean_pg(url)
        case_ids, _ = start_cases(pg_service, KILL_CASES)
        worker = run_timers(url, now)
        t0 = time.perf_counter()
        while worker.poll() is None and fired_count(pg_service) < 5 and time.perf_counter() - t0 < 60:
            time.sleep(0.005)
        backends = backend_states(pg_service)
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=10)
        killed_after = time.perf_counter() - t0
        wait_until_no_open_transactions(pg_service)
        before = fired_count(pg_service)
        if 0 < before < KILL_CASES:
            break
    else:
        pytest.fail(f"could not kill the worker mid-batch in 3 attempts (last: {before} fired)")
    with capsys.disabled():
        print(f"\n  worker killed after {killed_after:.2f} s with {before} of {KILL_CASES} deadlines fired "
              f"(attempt {attempt + 1}; its connection was {backends or 'gone'})")
    assert worker.returncode == -signal.SIGKILL

    rows = instance_rows(pg_service)
    half_done = [r for r in rows if not (fired(r) or waiting(r))]
    assert half_done == []
    assert sum(1 for r in rows if fired(r)) == before
    assert sum(1 for r in rows if waiting(r)) == KILL_CASES - before

    # Restarted: the rest fires, nothing fires twice.
    again = run_timers(url, now)
    out, err = again.communicate(timeout=120)
    rows = instance_rows(pg_service)
    assert all(fired(r) for r in rows), [r for r in rows if not fired(r)][:5]
    assert fired_count(pg_service) == KILL_CASES
    assert_replays(pg_service, case_ids[:: KILL_CASES // 10])
    assert again.returncode == 0, err[-3000:]
    assert out.splitlines()[-1] == f"{KILL_CASES - before} instantie(s) bijgewerkt"
