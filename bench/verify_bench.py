"""`vht verify` over many cases, and what sealing costs an act.

Makes N cases of P0 (default 10,000) through the service layer on a fresh SQLite file (or the
PostgreSQL database named by --database-url, which must be empty), as in preview_bench.py: each
started and its CAB held, every second one also its advice processed (two or three acts, a call
activity deep). Then times `verify` over all of them with replay and without (seals, event chains,
PDF digests, checkpoints only), and one completion with and without the seal at commit (the seal
listener replaced by a no-op for the second run; same cases, interleaved rounds, medians).

    .venv/bin/python bench/verify_bench.py [--cases 10000] [--database-url URL] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.engine.clock import FixedClock  # noqa: E402
from app.service import Service, seals  # noqa: E402
from bench.fresh import fresh_service  # noqa: E402
from bench.preview_bench import CAB, CASUS, P0, make_cases  # noqa: E402


def _completion_ms(service: Service, clock: FixedClock, rounds: int) -> tuple[float, float]:
    """Median ms of starting a case and completing its CAB, with and without sealing, interleaved."""
    with_seal, without = [], []
    for number in range(rounds * 2):
        sealing = number % 2 == 0
        if not sealing:
            sa_event.remove(Session, "before_commit", seals.seal_pending)
        try:
            clock.advance(timedelta(minutes=1))
            case = service.start_case(P0, CASUS, "anna")
            (cab,) = service.tasks(case_id=case.id)
            started = time.perf_counter()
            service.complete_task(cab.id, CAB, "vera")
            (with_seal if sealing else without).append((time.perf_counter() - started) * 1000)
        finally:
            if not sealing:
                sa_event.listen(Session, "before_commit", seals.seal_pending)
    return statistics.median(with_seal), statistics.median(without)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service, clock, _ = fresh_service(tmp, args.database_url, "verify")
        service.upsert_user("anna", "Anna", ["inbrenger"], gemeente="roosendaal")
        service.upsert_user("vera", "Vera", ["veiligheidsteam"])
        setup = make_cases(service, clock, args.cases)
        service.write_checkpoint("bench")
        results = {"cases": args.cases, "database": service.engine.dialect.name, "setup_seconds": round(setup, 1)}
        for label, replay in (("without_replay", False), ("with_replay", True)):
            report = service.verify(replay=replay)
            assert report.ok, report.as_dict()["overige_bevindingen"] or [c.findings for c in report.failed][:3]
            results[label] = {"seconds": round(report.seconds, 1),
                              "cases_per_second": round(len(report.cases) / report.seconds)}
        sealed, unsealed = _completion_ms(service, clock, rounds=50)
        results["completion_ms"] = {"with_seal": round(sealed, 2), "without_seal": round(unsealed, 2),
                                    "seal_overhead_ms": round(sealed - unsealed, 2)}
        service.engine.dispose()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.cases} P0 cases made through the service in {results['setup_seconds']} s ({results['database']})")
    for label in ("without_replay", "with_replay"):
        item = results[label]
        print(f"verify {label:15} {item['seconds']:7.1f} s  {item['cases_per_second']:6} cases/s")
    c = results["completion_ms"]
    print(f"completion (median of 50): {c['with_seal']} ms sealed, {c['without_seal']} ms without the seal "
          f"({c['seal_overhead_ms']} ms for the seal)")


if __name__ == "__main__":
    main()
