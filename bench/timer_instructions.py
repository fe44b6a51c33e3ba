"""Instructions per timer firing in the worker process, counted by valgrind's callgrind: a figure
that other work on the machine does not change (wall and CPU time on this VM vary up to 2x within
an hour), for comparing two checkouts of the timer path.

The data is timers_scale.py's template (1,000 due instances among 10,000; made if missing). For
each of two counts (20 and 220 firings) a copy of the template gets this code's migrations and one
process, under `valgrind --tool=callgrind`, fires that many due instances one by one as the worker
does (`timers.fire_instance`, one transaction each); the difference of the two totals divided by
200 is the cost of one firing, without the start-up (imports, parsing the diagrams) both share.
The PostgreSQL server's own work is not in it (see timers_scale.py for the wall time).

    .venv/bin/python bench/timer_instructions.py [--code /tmp/older-checkout]

About 2 minutes (Python runs ~50x slower under callgrind). Needs valgrind (Debian's package).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
FEW, MANY = 20, 220


def _fire(code: str, url: str, count: int) -> None:
    """The measured process: fire `count` due instances (run under callgrind)."""
    sys.path.insert(0, code)
    from app.engine.clock import FixedClock
    from app.service import Service, timers
    import timers_scale as scale

    service = Service(url, scale.PROCESSES, scale.FORMS, clock=FixedClock(scale.NOW))
    for instance_id in timers.due_instance_ids(service.ctx, scale.NOW, count):
        if timers.fire_instance(service.ctx, instance_id, scale.NOW) is None:
            raise SystemExit(f"instance {instance_id} did not fire")
    service.engine.dispose()


def _instructions(code: str, template: str, count: int) -> int:
    from sqlalchemy import create_engine, text

    import timers_scale as scale
    from app.service import Service

    admin = create_engine(scale.ADMIN, isolation_level="AUTOCOMMIT")
    name = f"vht_bench_instr_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = scale._url(name)
    try:
        Service(url, scale.PROCESSES, scale.FORMS).init_db()  # this code's migrations
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "callgrind.out"
            run = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                 "--fire", str(count), "--url", url, "--code", code],
                capture_output=True, text=True, cwd=code, env={**os.environ, "PYTHONPATH": f"{code}:{HERE}"})
            if run.returncode != 0:
                raise SystemExit(f"fout: de meting onder valgrind mislukte:\n{run.stderr[-2000:]}")
            found = re.search(r"Collected\s*:\s*(\d+)", run.stderr)
            if found is None:
                raise SystemExit(f"fout: valgrind meldde geen aantal instructies:\n{run.stderr[-2000:]}")
            return int(found.group(1))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     epilog="Example: .venv/bin/python bench/timer_instructions.py --code /tmp/before")
    parser.add_argument("--code", default=str(HERE.parent), help="checkout whose code is measured (default: this one)")
    parser.add_argument("--template", default="vht_bench_timers_template",
                        help="timers_scale.py's template database (made if missing)")
    parser.add_argument("--fire", type=int, help=argparse.SUPPRESS)  # the measured process
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    code = str(Path(args.code).resolve())
    if args.fire is not None:
        _fire(code, args.url, args.fire)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("fout: valgrind ontbreekt (apt-get install valgrind)")
    sys.path[:0] = [code, str(HERE)]
    import timers_scale as scale
    from sqlalchemy import create_engine, text

    admin = create_engine(scale.ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.template})
    admin.dispose()
    if not exists:
        scale.make_template(create_engine(scale.ADMIN, isolation_level="AUTOCOMMIT"), args.template)
    few, many = _instructions(code, args.template, FEW), _instructions(code, args.template, MANY)
    print(f"code: {code}")
    print(f"timer_firing_instructions: {(many - few) / (MANY - FEW) / 1e6:.2f} M per firing "
          f"(worker process only; {FEW} firings {few / 1e9:.2f} G, {MANY} firings {many / 1e9:.2f} G)")


if __name__ == "__main__":
    main()
