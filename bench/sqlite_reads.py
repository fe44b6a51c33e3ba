"""Pages while acts are written, on SQLite: read latency with and without a writer lock for reads.

Two sides, interleaved in rounds on the same database file:
  deferred   what the product does: an operation that only reads runs in a deferred transaction
             (plain BEGIN; WAL lets it read the last commit while a writer holds the lock);
  immediate  what it did before: every transaction, reads included, began with BEGIN IMMEDIATE and
             so queued behind any act in progress.
In each round WRITERS processes (as `vht worker` and other server processes are) start P0 cases (an
act with an engine run, one transaction each) while READERS threads of this process load the
werkbak of the VeiligheidsTeam (tab "Taken voor mijn rollen") and a case page, for SECONDS. Printed: the readers' p50/p95 latency per side (median over rounds) and the
acts per second, so the reads' gain is not bought with fewer writes.
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.service import Service  # noqa: E402

CASUS = {
    "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING Roosendaal",
    "ouders": [{"naam": "Petra de Vries", "gezag": True}],
    "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}],
    "cab_datum": "2026-03-02", "maatregel": "geen",
}


def prepared(path: Path) -> Service:
    service = Service(f"sqlite:///{path}", ROOT / "processes", ROOT / "forms")
    service.init_db()
    service.deploy(reden="testopzet")
    service.upsert_user("anna", "Anna", ["inbrenger"], gemeente="roosendaal")
    service.upsert_user("vera", "Vera", ["veiligheidsteam"])
    for _ in range(200):
        service.start_case("p0_consultatie_advies", CASUS, "anna")
    return service


def write_for(path: str, seconds: float, counter) -> None:
    service = Service(f"sqlite:///{path}", ROOT / "processes", ROOT / "forms")
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        service.start_case("p0_consultatie_advies", CASUS, "anna")
        with counter.get_lock():
            counter.value += 1


def one_round(service: Service, path: Path, writers: int, readers: int, seconds: float) -> tuple[list[float], int]:
    counter = multiprocessing.Value("i", 0)
    processes = [multiprocessing.Process(target=write_for, args=(str(path), seconds, counter)) for _ in range(writers)]
    for process in processes:
        process.start()
    time.sleep(0.5)  # the writers are up and writing
    stop = time.perf_counter() + seconds - 1.0
    latencies: list[float] = []
    lock = threading.Lock()

    def read():
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            service.inbox("vera", tab="rol")
            service.case_view("anna", 1)
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for process in processes:
        process.join()
    return latencies, counter.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0, help="per side per round")
    parser.add_argument("--writers", type=int, default=1, help="writing processes")
    parser.add_argument("--readers", type=int, default=2, help="reading threads in this process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reads.sqlite"
        service = prepared(path)
        read_sessions = service.ctx.read_sessions
        figures: dict[str, dict[str, list[float]]] = {side: {"p50": [], "p95": [], "acts": []}
                                                      for side in ("deferred", "immediate")}
        for number in range(args.rounds):
            order = ("deferred", "immediate") if number % 2 == 0 else ("immediate", "deferred")
            for side in order:
                # immediate: reads use the writers' sessions, so they begin with BEGIN IMMEDIATE too.
                service.ctx.read_sessions = read_sessions if side == "deferred" else service.ctx.sessions
                latencies, acts = one_round(service, path, args.writers, args.readers, args.seconds)
                quantiles = statistics.quantiles(latencies, n=20)
                figures[side]["p50"].append(statistics.median(latencies))
                figures[side]["p95"].append(quantiles[18])
                figures[side]["acts"].append(acts / args.seconds)
        print(f"SQLite, {args.writers} writing process(es) and {args.readers} reading threads, {args.rounds} rounds of "
              f"{args.seconds:g} s per side (median over rounds; min-max)")
        for side, values in figures.items():
            line = "  ".join(f"{name} {statistics.median(v):.1f} ({min(v):.1f}-{max(v):.1f})"
                             for name, v in values.items())
            print(f"{side:9}  read ms {line.replace('acts', 'acts/s')}")


if __name__ == "__main__":
    main()
