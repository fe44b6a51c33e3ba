"""Deploy preview over many recorded cases: how long a process owner waits before confirming.

Makes N cases of P0 (default 1000) through the service layer on a fresh SQLite file, the way people
would: every case is started and its CAB held (Task_CabHouden); every second case also has its advice
processed, so it runs into P1 zorg (three recorded acts, a call activity deep). Then previews P0
against (a) the deployed diagram unchanged and (b) the zorg condition flipped, and prints seconds and
cases per second for each (the preview's own `seconds`: queries, replays and comparisons).

    .venv/bin/python bench/preview_bench.py [--cases 1000] [--json]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator  # noqa: E402

from app.engine.clock import TZ, FixedClock  # noqa: E402
from app.engine.parser import VhtParser  # noqa: E402
from app.service import Service  # noqa: E402
from app.service.preview import preview_process  # noqa: E402

P0 = "p0_consultatie_advies"
CASUS = {
    "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING Roosendaal",
    "ouders": [{"naam": "Petra de Vries", "contact": "06-12345678", "gezag": True}],
    "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}],
    "cab_datum": "2026-03-02", "maatregel": "geen",
}
CAB = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten.", "afspraken": [{"wie": "Anna", "wat": "Bellen"}],
       "interventies": ["zorg"]}


def _specs(folder: Path) -> tuple:
    parser = VhtParser(validator=BpmnValidator())
    for path in sorted(folder.glob("*.bpmn")):
        parser.add_bpmn_str(path.read_bytes(), filename=path.name)
    return parser.get_spec(P0), parser.get_subprocess_specs(P0)


def _flipped(workdir: Path) -> Path:
    folder = workdir / "processes"
    shutil.copytree(ROOT / "processes", folder)
    path = folder / f"{P0}.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace(">'zorg' in interventies<", ">'zorg' not in interventies<"),
                    encoding="utf-8")
    return folder


def make_cases(service: Service, clock: FixedClock, count: int) -> float:
    started = time.perf_counter()
    for number in range(count):
        clock.advance(timedelta(minutes=1))
        case = service.start_case(P0, CASUS, "anna")
        (cab,) = service.tasks(case_id=case.id)
        service.complete_task(cab.id, CAB, "vera")
        if number % 2:
            (advies,) = service.tasks(case_id=case.id)
            service.complete_task(advies.id, {"vk_advies_verwerkt": True}, "anna")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
        service = Service(f"sqlite:///{workdir}/preview.sqlite", ROOT / "processes", ROOT / "forms", clock=clock)
        service.init_db()
        service.deploy(reden="preview bench")
        service.upsert_user("anna", "Anna", ["inbrenger"], gemeente="roosendaal")
        service.upsert_user("vera", "Vera", ["veiligheidsteam"])
        setup = make_cases(service, clock, args.cases)
        results = {"cases": args.cases, "setup_seconds": round(setup, 1)}
        for label, folder in (("unchanged", ROOT / "processes"), ("condition_flipped", _flipped(workdir))):
            spec, subs = _specs(folder)
            with service.ctx.reading() as session:
                preview = preview_process(service.ctx, session, P0, spec, subs)
            assert preview.cases == args.cases
            results[label] = {"seconds": round(preview.seconds, 2), "differ": len(preview.rows),
                              "cases_per_second": round(preview.cases / preview.seconds)}
        service.engine.dispose()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.cases} P0 cases made through the service in {results['setup_seconds']} s (SQLite)")
    for label in ("unchanged", "condition_flipped"):
        item = results[label]
        print(f"preview {label:18} {item['seconds']:6.2f} s  {item['cases_per_second']:5} cases/s  "
              f"{item['differ']} differ")


if __name__ == "__main__":
    main()
