"""One API completion, one client: SQL statements, transactions and latency per request (issue 15 §2).

For each database (SQLite file, PostgreSQL on 127.0.0.1 when it answers) a fresh database with the
product's bundle; per round PER_ROUND cases of P0 are started through the service (not timed) and
then the VeiligheidsTeam completes each case's first task (Task_CabHouden) through the API with
Flask's test client (`POST /api/tasks/<id>/complete` with a bearer token, the answer includes the
next task): the whole request path (token, access check, act, next task) without a socket.

Two sides on the same database, interleaved per round (the order alternates):
  request   what the product does: the request is one unit of work (one session, one commit),
            the pool tests a connection only after it lay idle;
  per_op    as before issue 15: every service operation its own transaction (the app without its
            unit of work) and, on PostgreSQL, a ping (SELECT 1) at every pool checkout.
Printed per database and side: statements and commits per completion (a before_cursor_execute
listener; pings are not statements, they show as pool checkouts) and the p50/p90 in ms (median of
the rounds, with the rounds' min-max).

    .venv/bin/python bench/request_transactions.py [--rounds 5] [--per-round 40] [--only sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VHT_AUDIT_KEY", "bench-audit-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("VHT_CHECKPOINT_FILE", str(Path(tempfile.mkdtemp(prefix="vht-bench-")) / "ankers.jsonl"))

from sqlalchemy import create_engine, event, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.service import Service  # noqa: E402
from app.web import unit_of_work  # noqa: E402

SIDES = ("request", "per_op")

PG_ADMIN = os.environ.get("VHT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CASUS = {
    "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING Roosendaal",
    "ouders": [{"naam": "Petra de Vries", "gezag": True}],
    "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}],
    "cab_datum": "2026-03-02", "maatregel": "geen",
}
CAB = {
    "advies_type": "andere_aanpak",
    "advies_tekst": "Zorg inzetten en een interventiegesprek voeren.",
    "afspraken": [{"wie": "Anna de Jong", "wat": "Interventiegesprek organiseren"}],
    "interventies": ["zorg", "interventiegesprek"],
}


class Counter:
    """Statements and transactions on an engine, from its events."""

    def __init__(self, engine):
        self.statements = self.transactions = self.checkouts = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._commit)

    def _statement(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.statements += 1

    def _commit(self, _conn):
        self.transactions += 1

    def _checkout(self, *_args):
        self.checkouts += 1  # with pool_pre_ping: one more round trip each

    def reset(self):
        self.statements = self.transactions = self.checkouts = 0


def prepared(url: str) -> Service:
    service = Service(url, ROOT / "processes", ROOT / "forms")
    service.init_db()
    service.deploy(reden="bench")
    service.upsert_user("anna", "Anna", ["inbrenger"], gemeente="roosendaal")
    service.upsert_user("vera", "Vera", ["veiligheidsteam"])
    return service


def app_for(url: str, service: Service, per_op: bool):
    app = create_app(Settings(database_url=url, processes_dir=ROOT / "processes", forms_dir=ROOT / "forms",
                              secret_key="bench"), service=service)
    if per_op:
        app.before_request_funcs[None].remove(unit_of_work._open)  # every operation on its own
        if service.engine.dialect.name == "postgresql":
            service.engine.pool._pre_ping = True  # as before: SELECT 1 at every checkout
    return app


def measure(url: str, rounds: int, per_round: int) -> dict:
    setup = prepared(url)
    headers = {"Authorization": f"Bearer {setup.issue_token('vera')}"}  # one token per user: both sides use it
    setup.engine.dispose()
    sides = {}
    for side in SIDES:
        service = Service(url, ROOT / "processes", ROOT / "forms")
        app = app_for(url, service, per_op=side == "per_op")
        sides[side] = (service, app.test_client(), headers, Counter(service.engine))
    figures = {side: {"p50": [], "p90": [], "statements": [], "commits": [], "checkouts": []} for side in SIDES}
    for round_no in range(rounds):
        for side in (SIDES if round_no % 2 == 0 else SIDES[::-1]):
            service, client, _, counter = sides[side]
            task_ids = []
            for _ in range(per_round):
                case = service.start_case("p0_consultatie_advies", CASUS, "anna")
                task_ids.append(next(t.id for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_CabHouden"))
            times = []
            for task_id in task_ids:
                counter.reset()
                started = time.perf_counter()
                response = client.post(f"/api/tasks/{task_id}/complete", json=CAB, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.get_json()
                figures[side]["statements"].append(counter.statements)
                figures[side]["commits"].append(counter.transactions)
                figures[side]["checkouts"].append(counter.checkouts)
            times.sort()
            figures[side]["p50"].append(statistics.median(times))
            figures[side]["p90"].append(times[int(len(times) * 0.9) - 1])
    for service, *_ in sides.values():
        service.engine.dispose()
    return {side: {
        "statements": statistics.median(f["statements"]), "commits": statistics.median(f["commits"]),
        "pool_checkouts": statistics.median(f["checkouts"]),
        "p50_ms": round(statistics.median(f["p50"]), 2), "p50_rounds_ms": [round(min(f["p50"]), 2), round(max(f["p50"]), 2)],
        "p90_ms": round(statistics.median(f["p90"]), 2),
    } for side, f in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=40)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    results = {}
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            results["sqlite"] = measure(f"sqlite:///{folder}/bench.sqlite", args.rounds, args.per_round)
    if args.only != "sqlite":
        name = f"vht_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: SQLite only
            print(f"PostgreSQL niet bereikbaar ({exc.__class__.__name__}); alleen SQLite", file=sys.stderr)
        else:
            try:
                results["postgresql"] = measure(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", args.rounds, args.per_round)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
