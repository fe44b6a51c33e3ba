"""The werkbak at scale, on PostgreSQL (or `--sqlite`): 100,000 open tasks, p50/p95 of the API's role tab and search.

A fresh database gets the schema (migrations), the processes and a few users, then 100,000 open
tasks in bulk (rows as the product writes them: cases with reference VHT-<year>-<nnnnn>, the
child's initials and gemeente, one running instance per case, two or three open tasks per case
with the real task names of P0/P3, a deadline on most, none on every 7th) plus 20,000 completed
ones; then ANALYZE. Roles: 40% veiligheidsteam (vera's), 20% toegang (spread over the gemeenten),
20% gi, 10% rvdk, 10% taken by a colleague. Measured through the real app (Flask test client, API
token, as a program would call it), ROUNDS rounds, each query in turn:
  rol          GET /api/tasks?tab=rol                       (first page, 50 rows)
  rol, verder  GET /api/tasks?tab=rol with the next cursor   (page 2 by keyset; page=2 on old code)
  zoek ref     GET /api/tasks?tab=rol&search=<5 digits of a reference>
  zoek init    GET /api/tasks?tab=rol&search=<initials>
  zoek taak    GET /api/tasks?tab=rol&search=<part of a task name>
  zoek niets   GET /api/tasks?tab=rol&search=qzxw             (matches nothing)
Prints p50/p95 per query in ms. `--code DIR` runs another checkout's code (e.g. a worktree at an
older commit) with this script, for a before/after on the same data shape.

    .venv/bin/python bench/inbox_scale.py [--tasks 100000] [--rounds 200] [--code /tmp/h5-before] [--sqlite]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _code_root() -> Path:
    if "--code" in sys.argv:
        return Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
    return ROOT


CODE = _code_root()
sys.path.insert(0, str(CODE))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.service import Service  # noqa: E402
from persistence.models import Case, HumanTask, ProcessInstance, ProcessVersion  # noqa: E402

ADMIN = os.environ.get("VHT_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
GEMEENTEN = ["roosendaal", "moerdijk", "zundert", "etten-leur", "halderberge", "rucphen", "woensdrecht"]
TASKS = [("p0_consultatie_advies", "Task_CabHouden", "Consultatie- en adviesbespreking houden", "p0_cab_houden"),
         ("p0_consultatie_advies", "Task_AdviesVerwerken", "Advies verwerken", "p0_advies_verwerken"),
         ("p3_interventiegesprek", "Task_InterventiegesprekVoeren", "Interventiegesprek voeren",
          "p3_interventiegesprek_voeren")]
ROLES = ["veiligheidsteam"] * 4 + ["toegang"] * 2 + ["gi"] * 2 + ["rvdk", None]


def seed(service: Service, count: int) -> None:
    rng = random.Random(15)
    now = datetime.now(timezone.utc)
    cases = count * 2 // 5  # two or three open tasks per case
    with service.engine.begin() as connection:
        version_id = connection.scalar(select(ProcessVersion.id).where(
            ProcessVersion.process_id == "p0_consultatie_advies").limit(1))
        for start in range(0, cases, 5000):
            connection.execute(insert(Case), [
                {"referentie": f"VHT-2026-{i + 1:05d}", "gemeente": GEMEENTEN[i % len(GEMEENTEN)], "inbrenger": "anna",
                 "jeugdige_initialen": "".join(rng.choice("ABDEGHJKLMNPRSTVW") for _ in range(rng.choice((2, 3)))),
                 "maatregel": "geen", "gegevens": {"gemeente": GEMEENTEN[i % len(GEMEENTEN)]}, "status": "open",
                 "aangemaakt_op": now} for i in range(start, min(cases, start + 5000))])
        case_ids = connection.scalars(select(Case.id).order_by(Case.id)).all()
        for start in range(0, len(case_ids), 5000):
            connection.execute(insert(ProcessInstance), [
                {"case_id": c, "process_version_id": version_id, "process_id": "p0_consultatie_advies", "state": "{}",
                 "serializer_version": "seed", "version": 1, "status": "running", "waiting_messages": [],
                 "started_at": now, "updated_at": now} for c in case_ids[start:start + 5000]])
        instances = dict(connection.execute(select(ProcessInstance.case_id, ProcessInstance.id)).all())
        rows = []
        total = count + count // 5
        for i in range(total):
            case_id = case_ids[rng.randrange(len(case_ids))]
            process_id, bpmn_id, name, form_key = TASKS[i % len(TASKS)]
            role = ROLES[i % len(ROLES)]
            done = i >= count
            rows.append({
                "case_id": case_id, "instance_id": instances[case_id], "spiff_task_id": str(uuid.uuid4()),
                "bpmn_id": bpmn_id, "name": name, "process_id": process_id, "role": role or "veiligheidsteam",
                "assignee": "vince" if role is None and not done else None, "form_key": form_key,
                "documentation": "Uitleg bij de taak. " * 20,
                "due_at": None if i % 7 == 0 else now + timedelta(hours=rng.randrange(-20 * 24, 80 * 24)),
                "state": "completed" if done else "open", "created_at": now - timedelta(minutes=i % 5000),
                "completed_at": now if done else None, "completed_by": "vera" if done else None,
            })
            if len(rows) == 5000:
                connection.execute(insert(HumanTask), rows)
                rows = []
        if rows:
            connection.execute(insert(HumanTask), rows)
    with service.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--code", default=str(ROOT), help="checkout whose app is measured (default: this one)")
    parser.add_argument("--keep", metavar="NAME", help="keep the seeded database under this name (and reuse it)")
    parser.add_argument("--sqlite", action="store_true",
                        help="SQLite instead: a fresh file in a temporary folder (its search goes through FTS5)")
    args = parser.parse_args()
    name = args.keep or f"vht_bench_inbox_{uuid.uuid4().hex[:8]}"
    if args.sqlite:
        admin, fresh = None, True
        url = f"sqlite:///{tempfile.mkdtemp()}/inbox_scale.sqlite"
    else:
        admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            fresh = not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if fresh:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    print(f"database: {'sqlite' if args.sqlite else 'postgresql'}")
    try:
        service = Service(url, CODE / "processes", CODE / "forms")
        service.init_db()  # on a kept database: its migrations up to this code's head
        if fresh:
            service.deploy(reden="bench")
            service.upsert_user("anna", "Anna", ["inbrenger"], gemeente="roosendaal")
            service.upsert_user("vera", "Vera", ["veiligheidsteam"])
            service.upsert_user("vince", "Vince", ["veiligheidsteam"])
            started = time.perf_counter()
            seed(service, args.tasks)
            print(f"({args.tasks} open tasks seeded and analysed in {time.perf_counter() - started:.1f} s)")
        with service.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        print(f"code: {CODE}")
        app = create_app(Settings(database_url=url, processes_dir=CODE / "processes", forms_dir=CODE / "forms",
                                  secret_key="bench"), service=service)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {service.issue_token('vera')}"}
        first = client.get("/api/tasks?tab=rol", headers=headers).get_json()
        reference = first["items"][0]["case"]["referentie"]
        initials = first["items"][0]["case"]["jeugdige_initialen"]
        page2 = f"/api/tasks?tab=rol&cursor={first['next']}" if first.get("next") else "/api/tasks?tab=rol&page=2"
        queries = {"rol": "/api/tasks?tab=rol", "rol, verder": page2,
                   "zoek ref": f"/api/tasks?tab=rol&search={reference[-5:]}",
                   "zoek init": f"/api/tasks?tab=rol&search={initials}",
                   "zoek taak": "/api/tasks?tab=rol&search=gesprek",
                   "zoek niets": "/api/tasks?tab=rol&search=qzxw"}  # found nowhere: nothing stops a walk early
        timings: dict[str, list[float]] = {label: [] for label in queries}
        for label, url_ in queries.items():  # warm-up, and a check that each answers
            response = client.get(url_, headers=headers)
            assert response.status_code == 200, (label, response.get_json())
            answer = response.get_json()
            print(f"  {label:12} {url_[:60]}: {len(answer['items'])} rows, total {answer['total']}")
        for _ in range(args.rounds):
            for label, url_ in queries.items():
                began = time.perf_counter()
                client.get(url_, headers=headers)
                timings[label].append((time.perf_counter() - began) * 1000)
        for label, values in timings.items():
            print(f"{label:12} p50 {statistics.median(values):7.1f} ms   p95 {percentile(values, 95):7.1f} ms")
        service.engine.dispose()
    finally:
        if admin is not None and not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if admin is not None:
            admin.dispose()


if __name__ == "__main__":
    main()
