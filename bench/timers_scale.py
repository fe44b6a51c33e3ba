"""Timers at scale, on PostgreSQL: 10,000 waiting instances of which 1,000 are due; one worker and
two workers; seconds until all 1,000 fired.

The data (made once, kept as a template database, `--template`): 1,000 cases of the worker tests'
diagram "worker_timer" (a task with a one-hour deadline) started through the service layer at
START, so their deadline is due at DEADLINE + 1 s; and 9,000 waiting instances whose deadline is a
day later: the same engine state in rows of their own (case and instance, bulk-inserted; they are
never loaded when nothing of them is due, which is the point). Each round copies the template
(CREATE DATABASE ... TEMPLATE), brings it to this code's schema (migrations), and starts N worker
processes (fork) that wait on a barrier and then each call fire_due_timers(DEADLINE + 1 s), as
`vht worker` does in a round; the time is from the barrier to the last worker done. Checked after
each run: 1,000 timer_fired events, none twice. Rounds interleave one and two workers; printed
are the median and the spread.

    .venv/bin/python bench/timers_scale.py [--rounds 3] [--code /tmp/h5-before] [--template NAME]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve() if "--code" in sys.argv else ROOT
sys.path.insert(0, str(CODE))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from app.engine.clock import TZ, FixedClock  # noqa: E402
from app.service import Service  # noqa: E402
from persistence.models import Case, ProcessInstance  # noqa: E402

ADMIN = os.environ.get("VHT_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PROCESSES = CODE / "tests" / "worker" / "fixtures" / "processes"
FORMS = CODE / "tests" / "worker" / "fixtures" / "forms"
START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
NOW = START + timedelta(hours=1, seconds=1)
DUE, WAITING = 1000, 9000


def _url(name: str) -> str:
    return ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _start(job) -> int:
    url, user, n = job
    service = Service(url, PROCESSES, FORMS, clock=FixedClock(START))
    for i in range(n):
        service.start_case("worker_timer", {"omschrijving": f"casus {i}"}, user)
    service.engine.dispose()
    return n


def make_template(admin, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = _url(name)
    service = Service(url, PROCESSES, FORMS, clock=FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ)))
    service.init_db()
    service.deploy(reden="bench")
    for user in ("anna", "bram"):
        service.upsert_user(user, user.title(), ["inbrenger"], gemeente="roosendaal", email=f"{user}@example.org")
    service.engine.dispose()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_start, [(url, "anna", DUE // 2), (url, "bram", DUE - DUE // 2)])
    print(f"{DUE} due cases started in {time.perf_counter() - started:.0f} s")
    engine = create_engine(url)
    with engine.begin() as connection:
        model = connection.execute(select(ProcessInstance).limit(1)).mappings().one()
        case = connection.execute(select(Case).where(Case.id == model["case_id"])).mappings().one()
        later = model["next_timer_at"] + timedelta(days=1)
        for start in range(0, WAITING, 1000):
            ids = connection.scalars(insert(Case).returning(Case.id), [
                {**{k: v for k, v in case.items() if k != "id"}, "referentie": f"WACHT-{start + i:05d}"}
                for i in range(1000)]).all()
            connection.execute(insert(ProcessInstance), [
                {**{k: v for k, v in model.items() if k != "id"}, "case_id": case_id, "next_timer_at": later}
                for case_id in ids])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _work(url: str, barrier, results) -> None:
    service = Service(url, PROCESSES, FORMS, clock=FixedClock(NOW))
    service.fire_due_timers(START)  # nothing is due yet at START: opens the connections
    barrier.wait()
    fired = service.fire_due_timers(NOW)
    results.put((len([r for r in fired if not r.error]), time.perf_counter()))
    service.engine.dispose()


def one_run(admin, template: str, workers: int) -> tuple[float, int]:
    name = f"vht_bench_timers_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = _url(name)
    try:
        Service(url, PROCESSES, FORMS).init_db()  # this code's migrations
        engine = create_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        context = multiprocessing.get_context("fork")
        barrier, results = context.Barrier(workers + 1), context.Queue()
        processes = [context.Process(target=_work, args=(url, barrier, results)) for _ in range(workers)]
        for process in processes:
            process.start()
        barrier.wait()
        began = time.perf_counter()
        done = [results.get(timeout=600) for _ in processes]
        for process in processes:
            process.join()
        seconds = max(at for _, at in done) - began
        with engine.connect() as connection:
            events = connection.scalar(text("SELECT count(*) FROM event WHERE type = 'timer_fired'"))
            twice = connection.scalar(text("SELECT count(*) FROM (SELECT instance_id FROM event WHERE type = "
                                           "'timer_fired' GROUP BY instance_id HAVING count(*) > 1) d"))
        engine.dispose()
        assert events == DUE and twice == 0, (events, twice)
        return seconds, sum(n for n, _ in done)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", default=str(ROOT), help="checkout whose code is measured (default: this one)")
    parser.add_argument("--template", default="vht_bench_timers_template",
                        help="template database (made if missing, with the schema of --code; make it with the "
                             "oldest code you compare)")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.template})
    if not exists:
        make_template(admin, args.template)
    counts = [int(n) for n in args.workers.split(",")]
    timings: dict[int, list[float]] = {n: [] for n in counts}
    for round_ in range(args.rounds):
        for n in counts if round_ % 2 == 0 else counts[::-1]:
            seconds, fired = one_run(admin, args.template, n)
            timings[n].append(seconds)
            print(f"  round {round_ + 1}: {n} worker(s) fired {fired} of {DUE} due among {DUE + WAITING} "
                  f"in {seconds:.2f} s")
    print(f"code: {CODE}")
    for n, values in timings.items():
        print(f"{n} worker(s): median {statistics.median(values):.2f} s (min {min(values):.2f}, "
              f"max {max(values):.2f}, {len(values)} runs)")
    admin.dispose()


if __name__ == "__main__":
    main()
