"""API completions over HTTP on loopback: latency with one client, throughput with many.

What one figure is: a client sends `POST /api/tasks/<id>/complete` with `{"klaar": false}` and a
Bearer token (made with `vht token`), on a persistent connection, and reads the answer; the answer
names the next task of the case (the rework loop, bench/processes/bench_herstelronde.bpmn, gives
one back each time), which the client completes next. Each client works its own cases (started
beforehand, round robin over them, so no two clients touch one case and no case grows long), as
fast as it can: a closed loop, no think time. Latency is per request (send to answer read);
completions/s counts the 200s inside the timed window.

The server is the product as `vht serve` starts it (a subprocess, its own fresh database and
settings; loopback only): waitress in one process, or gunicorn with N processes. Several servers
of one run share the database and are measured in interleaved rounds (a noisy neighbour hits
them alike); each figure is the median over the rounds, with min-max beside it. The clients run
in separate processes (several threads each), on the same machine as the server: on 2 cores
they take part of the CPU the server would otherwise have.

    .venv/bin/python bench/http_load.py                       # what `make bench` prints (about a minute)
    .venv/bin/python bench/http_load.py --database postgres --servers 1 2x4 4x4 --clients 16 --seconds 10
    .venv/bin/python bench/http_load.py --help

Bounded: every measurement stops after --seconds or --max-completions, whichever comes first;
a server that does not answer /healthz within 60 s stops the run.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"  # loopback only
PG_ADMIN_URL = os.environ.get("VHT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VHT = str(ROOT / ".venv" / "bin" / "vht") if (ROOT / ".venv" / "bin" / "vht").exists() else "vht"


# --- the server ------------------------------------------------------------------------------

@dataclass
class Server:
    """`vht serve` as a subprocess: `workers` processes (1: waitress) with `threads` each."""
    workers: int
    threads: int
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def label(self) -> str:
        if self.workers == 1:
            return f"waitress 1 process x {self.threads} threads"
        kind = "sync" if self.threads == 1 else f"gthread x {self.threads} threads"
        return f"gunicorn {self.workers} processes, {kind}"

    def start(self, env: dict, log: Path) -> None:
        self.port = _free_port()
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [VHT, "serve", "--host", HOST, "--port", str(self.port), "--workers", str(self.workers),
                 "--threads", str(self.threads)], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"fout: vht serve ({self.label}) stopte meteen; zie {log}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"fout: vht serve ({self.label}) antwoordt niet op /healthz; zie {log}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (gunicorn's master and workers), from /proc:
        per completion a figure that a busy machine changes much less than the wall-clock ones."""
        if self.process is None or not Path("/proc").exists():
            return float("nan")
        tick = os.sysconf("SC_CLK_TCK")
        pids, total = {self.process.pid}, 0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.add(int(entry.name))
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def parse_server(text: str) -> Server:
    """'1' = waitress (8 threads); 'NxT' = gunicorn N processes x T threads (T=1: sync workers)."""
    if "x" in text:
        workers, threads = (int(part) for part in text.split("x", 1))
    else:
        workers, threads = int(text), (8 if int(text) == 1 else 4)
    return Server(workers, threads)


# --- the database and the cases --------------------------------------------------------------

@dataclass
class Setup:
    env: dict
    url: str
    tokens: dict[str, str]  # username -> token
    drop: callable = None
    tmp: Path = None


def prepare(database: str, tmp: Path, users: int) -> Setup:
    """A fresh database with the bench procedure deployed and `users` inbrengers with a token each."""
    env = {**os.environ,
           "VHT_PROCESSES_DIR": str(HERE / "processes"), "VHT_FORMS_DIR": str(HERE / "forms"),
           "VHT_INSTANCE_DIR": str(tmp / "instance"), "SECRET_KEY": uuid.uuid4().hex * 2,
           "VHT_AUDIT_KEY": "bench-audit-key-0123456789abcdef0123456789abcdef",
           "VHT_CHECKPOINT_FILE": str(tmp / "controlepunten.jsonl"), "VHT_DEMO": "0",
           "PYTHONDONTWRITEBYTECODE": "1"}
    drop = None
    if database == "sqlite":
        url = f"sqlite:///{tmp}/http_load.sqlite"
    else:
        from sqlalchemy import create_engine, text

        name = f"vht_http_load_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

        def drop():
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    env["DATABASE_URL"] = url
    os.environ.update({k: env[k] for k in ("VHT_AUDIT_KEY", "VHT_CHECKPOINT_FILE")})
    from app.service import Service

    service = Service(url, HERE / "processes", HERE / "forms")
    service.init_db()
    service.deploy(reden="http_load bench")
    names = [f"bench{n:02d}" for n in range(1, users + 1)]
    for username in names:
        service.upsert_user(username, f"Bench {username}", ["inbrenger"], gemeente="roosendaal")
    service.engine.dispose()
    # The tokens as an operator makes them: `vht token`, in parallel (each start costs ~2 s).
    runs = [subprocess.Popen([VHT, "token", u], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=ROOT) for u in names]
    tokens = {}
    for username, run in zip(names, runs):
        out, err = run.communicate(timeout=120)
        if run.returncode != 0:
            raise SystemExit(f"fout: vht token {username}: {err.strip()}")
        tokens[username] = out.strip().splitlines()[-1]
    return Setup(env=env, url=url, tokens=tokens, drop=drop, tmp=tmp)


def start_cases(setup: Setup, clients: int, per_client: int) -> list[list[int]]:
    """`per_client` cases for each client (started by its user): the open task id of each."""
    from app.service import Service

    service = Service(setup.url, HERE / "processes", HERE / "forms")
    users = list(setup.tokens)
    result = []
    for client in range(clients):
        user = users[client % len(users)]
        ids = []
        for _ in range(per_client):
            case = service.start_case("bench_herstelronde", {"omschrijving": "http_load"}, user)
            ids.append(service.tasks(case_id=case.id)[0].id)
        result.append(ids)
    service.engine.dispose()
    return result


# --- the clients -----------------------------------------------------------------------------

def _client(index: int, port: int, token: str, task_ids: list[int], start_at: float, stop_at: float,
            max_count: int, out: list) -> None:
    """One client: complete the next task of its cases in turn until the time or count is up."""
    body = json.dumps({"klaar": False})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies, errors, reconnects, ids = [], 0, 0, list(task_ids)
    position = 0
    while time.time() < start_at:
        time.sleep(0.001)
    while ids and time.time() < stop_at and len(latencies) < max_count:
        position %= len(ids)
        t0 = time.perf_counter()
        try:
            connection.request("POST", f"/api/tasks/{ids[position]}/complete", body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
        except (http.client.HTTPException, ConnectionError):  # a sync worker closed the keep-alive connection
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            reconnects += 1
            continue
        elapsed = time.perf_counter() - t0
        if answer.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
        if answer.status == 200:
            following = json.loads(payload).get("next_task")
            if time.time() <= stop_at:
                latencies.append(elapsed)
            if following:
                ids[position] = following["id"]
                position += 1
            else:
                ids.pop(position)
        else:
            errors += 1
            ids.pop(position)  # leave that case alone
    connection.close()
    out.append((index, (latencies, errors, reconnects, ids)))


def _client_process(port, jobs, start_at, stop_at, max_count, queue) -> None:
    import threading

    out: list = []
    threads = [threading.Thread(target=_client, args=(index, port, token, ids, start_at, stop_at, max_count, out))
               for token, ids, index in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(out)


@dataclass
class Result:
    completions: int = 0
    seconds: float = 0.0
    latencies: list = field(default_factory=list)
    errors: int = 0
    reconnects: int = 0
    server_cpu: float = 0.0  # seconds of CPU the server used during the run

    @property
    def cpu_ms_per_completion(self) -> float:
        return self.server_cpu * 1000 / self.completions if self.completions else float("nan")

    @property
    def per_second(self) -> float:
        return self.completions / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def measure(server: Server, tokens: list[str], cases: list[list[int]], seconds: float, max_completions: int,
            processes: int) -> Result:
    """One timed run of len(cases) clients against `server`; `cases` gets the new open task ids."""
    clients = len(cases)
    processes = max(1, min(processes, clients))
    per_client = max(1, max_completions // clients)
    start_at = time.time() + 0.5  # every client starts together
    stop_at = start_at + seconds
    queue = multiprocessing.get_context("fork").Queue()
    groups = [[(tokens[c % len(tokens)], cases[c], c) for c in range(clients) if c % processes == p]
              for p in range(processes)]
    workers = [multiprocessing.get_context("fork").Process(
        target=_client_process, args=(server.port, group, start_at, stop_at, per_client, queue)) for group in groups]
    cpu_before = server.cpu_seconds()
    for worker in workers:
        worker.start()
    result = Result()
    for _ in workers:
        for index, (latencies, errors, reconnects, ids) in queue.get(timeout=seconds + 120):
            result.latencies.extend(latencies)
            result.errors += errors
            result.reconnects += reconnects
            cases[index][:] = ids
    for worker in workers:
        worker.join()
    result.server_cpu = server.cpu_seconds() - cpu_before
    result.completions = len(result.latencies)
    result.seconds = min(seconds, time.time() - start_at)
    return result


# --- the runs --------------------------------------------------------------------------------

@dataclass
class Plan:
    """One figure: `clients` clients against `server`, measured in each round."""
    name: str
    server: Server
    clients: int
    cases: list = field(default_factory=list)
    results: list = field(default_factory=list)


def run_plans(database: str, plans: list[Plan], rounds: int, seconds: float, max_completions: int, processes: int,
              cases_per_client: int, users: int, keep: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="vht-http-load-"))
    setup = prepare(database, tmp, users)
    servers = {id(p.server): p.server for p in plans}.values()
    try:
        for server in servers:
            server.start(setup.env, tmp / "serve.log")
        tokens = list(setup.tokens.values())
        for plan in plans:
            plan.cases = start_cases(setup, plan.clients, cases_per_client)
            # Warm up (first requests import and cache; every gunicorn process gets some).
            measure(plan.server, tokens, plan.cases, min(1.0, seconds), 200, processes)
        for r in range(rounds):
            order = plans[r % len(plans):] + plans[:r % len(plans)]
            for plan in order:
                plan.results.append(measure(plan.server, tokens, plan.cases, seconds, max_completions, processes))
    finally:
        for server in servers:
            server.stop()
        if setup.drop is not None:
            setup.drop()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def _spread(values: list[float], unit: str = "") -> str:
    if len(values) < 2:
        return "one round"
    return f"median of {len(values)} rounds; min-max {min(values):.1f}-{max(values):.1f}{unit}"


def report(database: str, plan: Plan, as_json: bool) -> dict:
    results = plan.results
    rates = [r.per_second for r in results]
    p50s = [r.quantile(0.50) for r in results]
    p95s = [r.quantile(0.95) for r in results]
    cpu = [r.cpu_ms_per_completion for r in results]
    figure = {
        "name": plan.name, "database": database, "server": plan.server.label, "clients": plan.clients,
        "completions_per_second": statistics.median(rates), "completions_per_second_min_max": [min(rates), max(rates)],
        "p50_ms": statistics.median(p50s), "p95_ms": statistics.median(p95s),
        "p50_ms_min_max": [min(p50s), max(p50s)],
        "server_cpu_ms_per_completion": statistics.median(cpu),
        "completions": sum(r.completions for r in results), "errors": sum(r.errors for r in results),
        "reconnects": sum(r.reconnects for r in results),
    }
    if not as_json:
        print(f"{plan.name}: {figure['completions_per_second']:.1f} completions/s "
              f"({_spread(rates)}); p50 {figure['p50_ms']:.2f} ms ({_spread(p50s, ' ms')}); "
              f"p95 {figure['p95_ms']:.2f} ms; server CPU {figure['server_cpu_ms_per_completion']:.2f} ms per "
              f"completion   [{database}, {plan.server.label}, {plan.clients} client(s); "
              f"{figure['completions']} completions, {figure['errors']} errors, {figure['reconnects']} reconnects]")
    return figure


def _pg_available() -> bool:
    try:
        from sqlalchemy import create_engine

        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL here
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both",
                        help="both (default): the make-bench set: p50 with one client on SQLite and on PostgreSQL, "
                             "completions/s with --clients on PostgreSQL for each of --servers")
    parser.add_argument("--servers", nargs="+", default=["1", "2x4"],
                        help="servers to compare: 1 = waitress (8 threads), NxT = gunicorn N processes x T threads "
                             "(T=1: sync workers); default: 1 2x4")
    parser.add_argument("--clients", type=int, default=16, help="clients of the throughput figure (default 16)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one timed run (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per figure (default 3)")
    parser.add_argument("--max-completions", type=int, default=20000, help="cap per timed run (default 20000)")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="processes the clients run in (threads inside; default 2)")
    parser.add_argument("--cases-per-client", type=int, default=8)
    parser.add_argument("--users", type=int, default=4, help="API users (each a token from vht token); default 4")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server log, SQLite file)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    figures = []
    common = dict(rounds=args.rounds, seconds=args.seconds, max_completions=args.max_completions,
                  processes=args.client_processes, cases_per_client=args.cases_per_client, users=args.users,
                  keep=args.keep)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in databases and not _pg_available():
        print(f"PostgreSQL at {PG_ADMIN_URL} does not answer: its figures are left out", file=sys.stderr)
        databases.remove("postgres")
    for database in databases:
        servers = [parse_server(text) for text in args.servers]
        plans = [Plan(f"http_one_client_{database}", servers[0], 1)]
        if database == "postgres" or args.database != "both":
            plans += [Plan(f"http_{args.clients}_clients_{database}_{s.workers}x{s.threads}", s, args.clients)
                      for s in servers]
        run_plans(database, plans, **common)
        figures += [report(database, plan, args.json) for plan in plans]
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
