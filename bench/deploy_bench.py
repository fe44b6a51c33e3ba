"""How long a deploy of the whole bundle takes, and where the time goes.

The bundle is processes/ (12 diagrams), forms/, parameters.json and letters/, as `vht deploy` reads
it. Per round a fresh SQLite file: the first deploy (parse, every check, the 29 scenarios, store),
then the same deploy again (nothing new: checks and the plan only). Then, in memory, parsing with
all checks apart from the scenarios, and the scenarios (and letter rendering) apart.

    .venv/bin/python bench/deploy_bench.py [--rounds 5] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.service import Service, deploy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    first, again, checks, scenarios = [], [], [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            service = Service(f"sqlite:///{tmp}/deploy.sqlite", ROOT / "processes", ROOT / "forms")
            service.init_db()
            started = time.perf_counter()
            service.deploy(actor="bench", reden="bench")
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            service.deploy(actor="bench")
            again.append(time.perf_counter() - started)
            tree = service.source_tree()
            started = time.perf_counter()
            bundles = deploy.parse_tree(tree)
            checks.append(time.perf_counter() - started)
            started = time.perf_counter()
            problems = service.deploy_checks(tree, bundles)
            scenarios.append(time.perf_counter() - started)
            assert not problems, problems
            service.engine.dispose()
    result = {name: {"median_s": round(statistics.median(values), 3), "min_s": round(min(values), 3),
                     "max_s": round(max(values), 3)}
              for name, values in (("first_deploy", first), ("unchanged_deploy", again),
                                   ("parse_and_checks", checks), ("scenarios_and_letters", scenarios))}
    result["rounds"] = args.rounds
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for name, value in result.items():
        if name != "rounds":
            print(f"{name:24} median {value['median_s']:.3f} s  (min {value['min_s']:.3f}, max {value['max_s']:.3f})")
    print(f"rounds: {args.rounds}")


if __name__ == "__main__":
    main()
