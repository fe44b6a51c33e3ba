"""The overview at scale: GET /overzicht and the heatmap's JSON with N closed cases (default 10,000).

Seeding: two closed P0 -> P3 cases are driven through the service layer with the clock moved (one
with the conversation and the card on time, one late on both, as tests/insight/test_overview.py
drives them), then their rows (casus, process_instance, human_task, event, element_passage, task_feit: what
the engine and the projections wrote) are copied N/2 times each, every copy moved back in time by
a random number of days within the last year (the CAB date in the CAB's form data with it) and
given a random gemeente. Bulk inserts, not the engine: seeding 10,000 cases through the engine
would take an hour. Then ANALYZE (PostgreSQL runs without autovacuum here).

Measuring: the pages through Flask's test client as vera (veiligheidsteam), logged in through the
login form; the default selection (the last twelve months, every gemeente). Rounds interleave the
three requests; medians with min and max.

    .venv/bin/python bench/insight_bench.py [--cases 10000] [--rounds 15] [--postgres] [--json]

--postgres makes a fresh database on the local server (postgresql+psycopg://postgres@127.0.0.1:5432)
and drops it afterwards; without it, a SQLite file in a temporary folder. --keep NAME keeps the seeded
database (SQLite: the file /tmp/NAME.sqlite; PostgreSQL: the database NAME) and reuses it when it is
there: seeding is skipped, the migrations run (a new one fills its tables from the seeded rows).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.demo import DEMO_USERS  # noqa: E402
from app.engine.clock import TZ  # noqa: E402
from bench.fresh import fresh_service  # noqa: E402
from persistence.models import Case, ElementPassage, Event, HumanTask, ProcessInstance, TaskFeit  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GEMEENTEN = ["roosendaal", "moerdijk", "rucphen", "zundert", "etten_leur"]
BATCH = 5000
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _templates(service, clock) -> list[int]:
    """Two closed cases through the real service: on time, and late (conversation and card)."""
    from tests.procedures.gesprek_steps import (
        at, gesprek_voeren, organiseren, reactie_vragen, start_through_p0, vk_na_gesprek, vk_versturen,
        voorbespreking, zonder_reactie, gesprek_op_12_maart,
    )

    young = [{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}]
    late = start_through_p0(service, clock, "interventiegesprek", jeugdigen=young)
    organiseren(late, "2026-04-30T10:00", jeugdige="te_jong")
    reactie_vragen(late)
    on_time = start_through_p0(service, clock, "interventiegesprek", jeugdigen=young)
    gesprek_op_12_maart(on_time)
    zonder_reactie(late, at(2026, 4, 24))
    late.move_clock(at(2026, 4, 28, 9, 0))
    vk_versturen(late)
    voorbespreking(late, at(2026, 4, 30, 10, 0))
    gesprek_voeren(late)
    vk_na_gesprek(late, at(2026, 4, 30, 10, 0))
    for case in (on_time, late):
        assert case.case().status == "afgesloten", case.case().status
    return [on_time.case_id, late.case_id]


def _rows(connection, table, where):
    return [dict(row._mapping) for row in connection.execute(select(table).where(where))]


def _shift(value, delta: timedelta):
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, date):
        return value + timedelta(days=delta.days)
    return value


def _copy(engine, template_ids: list[int], count: int, seed: int = 14) -> None:
    """`count` copies of the template cases, spread over the year before the templates."""
    rng = random.Random(seed)
    with engine.connect() as connection:
        templates = []
        for case_id in template_ids:
            templates.append({
                "casus": _rows(connection, Case.__table__, Case.__table__.c.id == case_id)[0],
                "instances": _rows(connection, ProcessInstance.__table__, ProcessInstance.__table__.c.case_id == case_id),
                "tasks": _rows(connection, HumanTask.__table__, HumanTask.__table__.c.case_id == case_id),
                "events": _rows(connection, Event.__table__, Event.__table__.c.case_id == case_id),
                "passages": _rows(connection, ElementPassage.__table__, ElementPassage.__table__.c.case_id == case_id),
                "facts": _rows(connection, TaskFeit.__table__, TaskFeit.__table__.c.case_id == case_id),
            })
        ids = {name: (connection.scalar(select(text("coalesce(max(id), 0)")).select_from(text(table))) or 0) + 1
               for name, table in (("casus", "casus"), ("instance", "process_instance"), ("task", "human_task"),
                                   ("event", "event"), ("passage", "element_passage"))}
    names = ("casus", "instances", "tasks", "events", "passages", "facts")  # parents first
    buffers: dict[str, list] = {name: [] for name in names}
    tables = {"casus": Case.__table__, "instances": ProcessInstance.__table__, "tasks": HumanTask.__table__,
              "events": Event.__table__, "passages": ElementPassage.__table__, "facts": TaskFeit.__table__}

    def flush(force=False):
        if not force and sum(len(v) for v in buffers.values()) < BATCH:
            return
        with engine.begin() as connection:
            for name in names:
                if buffers[name]:
                    connection.execute(insert(tables[name]), buffers[name])
                    buffers[name].clear()

    for number in range(count):
        template = templates[number % len(templates)]
        delta = -timedelta(days=rng.randint(0, 330), minutes=rng.randint(0, 600))
        case_id = ids["casus"]
        ids["casus"] += 1
        casus = {k: _shift(v, delta) for k, v in template["casus"].items()}
        casus.update(id=case_id, referentie=f"BENCH-{number:06d}", gemeente=rng.choice(GEMEENTEN))
        buffers["casus"].append(casus)
        instance_map, task_map = {}, {}
        for row in template["instances"]:
            new = {k: _shift(v, delta) for k, v in row.items()}
            instance_map[row["id"]] = new["id"] = ids["instance"]
            ids["instance"] += 1
            new["case_id"] = case_id
            buffers["instances"].append(new)
        for row in template["tasks"]:
            new = {k: _shift(v, delta) for k, v in row.items()}
            task_map[row["id"]] = new["id"] = ids["task"]
            ids["task"] += 1
            new.update(case_id=case_id, instance_id=instance_map[row["instance_id"]], spiff_task_id=str(uuid.uuid4()))
            buffers["tasks"].append(new)
        for row in template["events"]:
            new = {k: _shift(v, delta) for k, v in row.items()}
            new.update(id=ids["event"], case_id=case_id, instance_id=instance_map.get(row["instance_id"]),
                       human_task_id=task_map.get(row["human_task_id"]))
            ids["event"] += 1
            given = (row["data"].get("data") or {}).get("cab_gehouden_op") if isinstance(row["data"], dict) else None
            if given:  # the CAB date the form recorded moves with the case
                data = json.loads(json.dumps(row["data"]))
                data["data"]["cab_gehouden_op"] = (date.fromisoformat(given) + timedelta(days=delta.days)).isoformat()
                new["data"] = data
            buffers["events"].append(new)
        for row in template["passages"]:
            new = {k: _shift(v, delta) for k, v in row.items()}
            new.update(id=ids["passage"], case_id=case_id, instance_id=instance_map[row["instance_id"]])
            ids["passage"] += 1
            buffers["passages"].append(new)
        for row in template["facts"]:
            new = {k: _shift(v, delta) for k, v in row.items()}
            new.update(human_task_id=task_map[row["human_task_id"]], case_id=case_id,
                       instance_id=instance_map[row["instance_id"]])
            if row["bpmn_id"] == "Task_CabHouden" and row["waarde"]:  # the CAB's date, as in its event
                new["waarde"] = (date.fromisoformat(row["waarde"][:10]) + timedelta(days=delta.days)).isoformat()
            buffers["facts"].append(new)
        flush()
    flush(force=True)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in ("casus", "process_instance", "human_task", "event", "element_passage"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
        else:
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # This machine's server runs without autovacuum: what it would do after a bulk load (the
        # statistics, and the visibility map that lets the index-only scans skip the table).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def _login(app, username: str):
    client = app.test_client()
    token = CSRF.search(client.get("/inloggen").get_data(as_text=True)).group(1)
    response = client.post("/inloggen", data={"gebruikersnaam": username, "wachtwoord": f"{username}-demo",
                                               "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def _measure(app, rounds: int) -> dict:
    client = _login(app, "vera")
    urls = {"overzicht": "/overzicht", "doorlooptijden": "/overzicht/doorlooptijden",
            "heatmap_p3": "/overzicht/heatmap.json?diagram=p3_interventiegesprek",
            "heatmap_p0": "/overzicht/heatmap.json?diagram=p0_consultatie_advies"}
    times = {name: [] for name in urls}
    cpu = {name: [] for name in urls}
    for name, url in urls.items():  # warm: templates, specs, caches
        assert client.get(url).status_code == 200, name
    for _ in range(rounds):
        for name, url in urls.items():
            started, used = time.perf_counter(), time.process_time()
            response = client.get(url)
            times[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - used) * 1000)
            assert response.status_code == 200, (name, response.status_code)
    # The CPU time of this process (the web layer, and SQLite's work, which runs in it; not PostgreSQL's):
    # on a machine shared with other work the wall time varies a lot, the CPU time much less.
    return {name: {"median_ms": round(statistics.median(v), 1), "min_ms": round(min(v), 1), "max_ms": round(max(v), 1),
                   "cpu_median_ms": round(statistics.median(cpu[name]), 1)}
            for name, v in times.items()}


def _reuse(tmp: str, url: str):
    """(service, clock, url) on a database seeded by an earlier run (--keep), migrated to head."""
    import os

    from app.engine.clock import FixedClock
    from app.service import Service

    os.environ.setdefault("VHT_AUDIT_KEY", "bench-audit-key-0123456789abcdef0123456789abcdef")
    os.environ["VHT_CHECKPOINT_FILE"] = f"{tmp}/controlepunten.jsonl"
    clock = FixedClock(datetime(2026, 5, 31, 12, 0, tzinfo=TZ))
    service = Service(url, ROOT / "processes", ROOT / "forms", clock=clock)
    started = time.perf_counter()
    service.init_db()
    print(f"migrated the kept database in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return service, clock, url


def run(database_url: str | None, cases: int, rounds: int, tmp: str, reuse: bool = False) -> dict:
    if reuse:
        service, clock, url = _reuse(tmp, database_url)
        return _pages(service, clock, url, rounds, 0.0)
    service, clock, url = fresh_service(tmp, database_url, "insight")
    for username, naam, rollen, gemeente, organisatie in DEMO_USERS:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, organisatie=organisatie,
                            email=f"{username}@example.org",
                            password_hash=generate_password_hash(f"{username}-demo", method="pbkdf2:sha256:1000"))
    started = time.perf_counter()
    template_ids = _templates(service, clock)
    _copy(service.engine, template_ids, cases)
    seeded = time.perf_counter() - started
    return _pages(service, clock, url, rounds, seeded)


def _pages(service, clock, url: str, rounds: int, seeded: float) -> dict:
    clock.set(datetime(2026, 5, 31, 12, 0, tzinfo=TZ))  # the default selection covers every copy
    app = create_app(Settings(database_url=url, processes_dir=ROOT / "processes", forms_dir=ROOT / "forms",
                              secret_key="bench-secret"), service=service)
    with service.engine.connect() as connection:
        counts = {table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
                  for table in ("casus", "human_task", "event", "element_passage")}
        closed = connection.scalar(text("SELECT count(*) FROM casus WHERE status = 'afgesloten'"))
    result = {"database": service.engine.dialect.name, "closed_cases": closed, "rows": counts,
              "seed_seconds": round(seeded, 1), "pages": _measure(app, rounds)}
    service.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--postgres", action="store_true", help="a fresh database on the local PostgreSQL server")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", metavar="NAME", help="keep the seeded database, and reuse it when it is there")
    args = parser.parse_args()
    if args.keep and not re.fullmatch(r"[a-z0-9_]{1,40}", args.keep):
        parser.error("--keep: a name of a-z, 0-9 and _")
    with tempfile.TemporaryDirectory() as tmp:
        database_url, admin, name, reuse = None, None, None, False
        if args.postgres:
            name = args.keep or f"vht_insight_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                reuse = bool(args.keep) and bool(connection.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))
                if not reuse:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            database_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        elif args.keep:
            path = Path(f"/tmp/{args.keep}.sqlite")
            reuse = path.exists()
            database_url = f"sqlite:///{path}"
        try:
            result = run(database_url, args.cases, args.rounds, tmp, reuse)
        finally:
            if admin is not None and not args.keep:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['closed_cases']} closed cases on {result['database']} (rows: {result['rows']}), "
          f"seeded in {result['seed_seconds']} s")
    for page, t in result["pages"].items():
        print(f"  {page:14s} median {t['median_ms']:7.1f} ms  (min {t['min_ms']}, max {t['max_ms']}; {args.rounds} rounds)"
              f"  cpu of this process {t['cpu_median_ms']} ms")


if __name__ == "__main__":
    main()
