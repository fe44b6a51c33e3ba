"""The event log export (`vht export-log`) for many cases: time, size and memory per format.

Seeds N cases of P0 (default 10,000) through the service layer on a fresh SQLite file (or the
empty PostgreSQL database named by --database-url), as verify_bench.py does: each started and its
CAB held, every second one also its advice processed in the Veiligheidskaart (a call activity).
Then exports p0_consultatie_advies (one trace per case, the called VK step flattened into it)
and sp_vk_verwerken (the runs of the call activity, found inside the P0 instances) in XES, OCEL
and CSV, writing to a sink that only counts, as the command line streams to standard output.
Rounds interleave the formats; medians with min-max. The peak of Python memory (tracemalloc) is
measured in a separate pass per format.

    .venv/bin/python bench/export_bench.py [--cases 10000] [--rounds 3] [--database-url URL] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.service.insight import eventlog  # noqa: E402
from bench.fresh import fresh_service  # noqa: E402
from bench.preview_bench import make_cases  # noqa: E402

PROCEDURES = ("p0_consultatie_advies", "sp_vk_verwerken")


def _export(service, procedure: str, fmt: str) -> tuple[float, int, int]:
    """(seconds, bytes, traces) of one export, streamed into a counting sink."""
    started = time.perf_counter()
    size = 0
    with service.ctx.reading() as session:
        query = eventlog.make_query(session, procedure, fmt, None, None)
        for chunk in eventlog.write(service.ctx, session, query, fmt):
            size += len(chunk.encode("utf-8"))
    seconds = time.perf_counter() - started
    with service.ctx.reading() as session:
        traces = sum(1 for _ in eventlog.traces(service.ctx, session, eventlog.Query(procedure)))
    return seconds, size, traces


def _peak_mb(service, procedure: str, fmt: str) -> float:
    tracemalloc.start()
    with service.ctx.reading() as session:
        query = eventlog.make_query(session, procedure, fmt, None, None)
        for _ in eventlog.write(service.ctx, session, query, fmt):
            pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service, clock, _ = fresh_service(tmp, args.database_url, "export")
        service.upsert_user("anna", "Anna", ["inbrenger"], gemeente="roosendaal")
        service.upsert_user("vera", "Vera", ["veiligheidsteam"])
        setup = make_cases(service, clock, args.cases)
        results = {"cases": args.cases, "database": service.engine.dialect.name, "setup_seconds": round(setup, 1),
                   "exports": {}}
        times: dict[tuple, list[float]] = {}
        facts: dict[tuple, tuple[int, int]] = {}
        for _ in range(args.rounds):
            for procedure in PROCEDURES:
                for fmt in eventlog.FORMATS:
                    seconds, size, traces = _export(service, procedure, fmt)
                    times.setdefault((procedure, fmt), []).append(seconds)
                    facts[(procedure, fmt)] = (size, traces)
        for (procedure, fmt), values in times.items():
            size, traces = facts[(procedure, fmt)]
            results["exports"][f"{procedure} {fmt}"] = {
                "seconds_median": round(statistics.median(values), 2),
                "seconds_min": round(min(values), 2), "seconds_max": round(max(values), 2),
                "megabytes": round(size / 1e6, 1), "traces": traces,
                "peak_python_mb": round(_peak_mb(service, procedure, fmt), 1)}
        service.engine.dispose()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.cases} P0 cases made through the service in {results['setup_seconds']} s ({results['database']}); "
          f"{args.rounds} rounds, formats interleaved")
    for label, item in results["exports"].items():
        print(f"{label:30} {item['seconds_median']:6.2f} s (min {item['seconds_min']:.2f}, max {item['seconds_max']:.2f})"
              f"  {item['megabytes']:6.1f} MB  {item['traces']:6} traces  peak {item['peak_python_mb']:.1f} MB")


if __name__ == "__main__":
    main()
