"""Two timer workers at once (issue 15 part 6), as threads with a Service each: every due timer
fires exactly once, neither worker loads an instance the other claimed or fired (PostgreSQL:
claimed batches), and no instance that is not due is loaded at all. On SQLite (one writer at a
time) the same holds for what fires; there the second worker finds each row already done by its
lock-and-check, still without loading it."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import event, text

from app.engine.clock import FixedClock
from app.service import Service, timers
from persistence.models import ProcessInstance

from .conftest import DEADLINE, FORMS, PROCESSES, START

DUE, LATER = 24, 6


def test_two_workers_fire_each_due_timer_once_and_load_only_their_own(worker_db, clock):
    service = Service(worker_db, PROCESSES, FORMS, clock=clock)
    due = [service.start_case("worker_timer", {"omschrijving": f"casus {i}"}, "anna").id for i in range(DUE)]
    clock.set(START + timedelta(hours=2))  # these deadlines are two hours later than the others
    later = [service.start_case("worker_timer", {"omschrijving": f"later {i}"}, "bram").id for i in range(LATER)]
    now = DEADLINE + timedelta(seconds=1)
    workers = [Service(worker_db, PROCESSES, FORMS, clock=FixedClock(now)) for _ in range(2)]

    loaded: dict[int, list[int]] = {}  # thread -> ids of the instances it loaded (whole rows)

    def on_load(target, context):
        loaded.setdefault(threading.get_ident(), []).append(target.id)

    event.listen(ProcessInstance, "load", on_load)
    results: dict[int, list] = {}
    barrier = threading.Barrier(2)

    def work(k: int) -> None:
        barrier.wait()
        results[k] = timers.fire_due_timers(workers[k].ctx, now, batch=4)  # small batches: several claims each

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(ProcessInstance, "load", on_load)
        for worker in workers:
            worker.engine.dispose()

    fired = [r.case_id for k in (0, 1) for r in results[k] if not r.error]
    assert sorted(fired) == sorted(due)  # each due timer once, between the two
    with service.engine.connect() as connection:
        events = dict(connection.execute(text(
            "SELECT case_id, count(*) FROM event WHERE type = 'timer_fired' GROUP BY case_id")).all())
        claims = connection.scalar(text("SELECT count(*) FROM process_instance WHERE timer_claimed_by IS NOT NULL"))
    assert events == {case_id: 1 for case_id in due}
    assert claims == 0  # every claim released after its batch
    instance_case = {i.id: i.case_id for case_id in due + later for i in service.case(case_id).instances}
    by_thread = [[instance_case[i] for i in ids] for ids in loaded.values()]
    # Nothing not due was loaded, and no instance by both workers (nor twice by one).
    assert not set(later) & {c for ids in by_thread for c in ids}
    everything = [c for ids in by_thread for c in ids]
    assert sorted(everything) == sorted(due), "an instance was loaded twice, or one that did not fire"
    service.engine.dispose()


def test_a_claim_of_a_worker_that_died_is_free_at_once_on_postgresql(worker_pg, clock):
    """A claim names the database connection of the worker that made it; when that worker is gone
    (killed: its connection closed) another worker takes the instances straight away."""
    service = Service(worker_pg, PROCESSES, FORMS, clock=clock)
    cases = [service.start_case("worker_timer", {"omschrijving": f"casus {i}"}, "anna").id for i in range(3)]
    now = DEADLINE + timedelta(seconds=1)
    dead = Service(worker_pg, PROCESSES, FORMS, clock=FixedClock(now))
    with dead.engine.connect() as held:
        pid = held.scalar(text("SELECT pg_backend_pid()"))
        held.commit()
        assert len(timers.claim_due(dead.ctx, now, 10, pid)) == 3
        # While it lives, another worker finds nothing to claim (and loads nothing).
        other = Service(worker_pg, PROCESSES, FORMS, clock=FixedClock(now))
        with other.engine.connect() as mine:
            me = mine.scalar(text("SELECT pg_backend_pid()"))
            mine.commit()
            assert timers.claim_due(other.ctx, now, 10, me) == []
    dead.engine.dispose()  # the worker is gone: its connection closes
    with service.engine.connect() as connection:  # (its backend leaves a moment after the socket closed)
        for _ in range(200):
            if not connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}):
                break
            connection.rollback()
            time.sleep(0.01)
    fired = other.fire_due_timers(now)
    assert sorted(r.case_id for r in fired) == sorted(cases)
    other.engine.dispose()
    service.engine.dispose()
