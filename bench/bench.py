"""`make bench`: what a task completion costs us against bare SpiffWorkflow, measured in one run.

Prints, from one run on this machine (ratios, because the machines are noisy):
  - complete_task through the service layer (load from the database, validate the form, run,
    project the inbox, log, commit) against bare SpiffWorkflow's deserialize → complete →
    serialize in memory, on the same rework-loop process: `complete_vs_bare_ratio`;
  - whole cases per second through the service layer (start + every step to the end);
  - the stored state size after 10, 100 and 1000 passes through the loop: `state_growth_1000_vs_10`,
    and the same for stock SpiffWorkflow (which grows without bound).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.clock import TZ, FixedClock  # noqa: E402
from app.engine.helpers import make_helpers  # noqa: E402
from app.engine.parser import VhtParser  # noqa: E402
from app.engine.werkdagen import WerkdagKalender  # noqa: E402
from app.service import Service  # noqa: E402

HERE = Path(__file__).resolve().parent
PROCESS = "bench_herstelronde"


def bare_steps(steps: int) -> tuple[float, dict[int, int]]:
    """Stock SpiffWorkflow: the state JSON (spec embedded) is loaded, one task done, saved again."""
    parser = VhtParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(HERE / "processes" / f"{PROCESS}.bpmn"))
    spec = parser.get_spec(PROCESS)
    engine = PythonScriptEngine(environment=TaskDataEnvironment(make_helpers(WerkdagKalender())))
    ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    wf = BpmnWorkflow(spec, script_engine=engine)
    wf.do_engine_steps()
    state = ser.serialize_json(wf)
    sizes, times = {}, []
    for i in range(1, steps + 1):
        t0 = time.perf_counter()
        wf = ser.deserialize_json(state)
        wf.script_engine = engine
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update({"klaar": False})
        task.run()
        wf.do_engine_steps()
        state = ser.serialize_json(wf)
        times.append(time.perf_counter() - t0)
        if i in (10, 100, 1000):
            sizes[i] = len(state)
    return statistics.mean(times[:100]), sizes


def service_steps(service: Service, steps: int) -> tuple[float, dict[int, int]]:
    case = service.start_case(PROCESS, {"omschrijving": "benchmark"}, "anna")
    sizes, times = {}, []
    for i in range(1, steps + 1):
        task = service.tasks(case_id=case.id)[0]
        t0 = time.perf_counter()
        service.complete_task(task.id, {"klaar": False}, "anna")
        times.append(time.perf_counter() - t0)
        if i in (10, 100, 1000):
            sizes[i] = len(service.case(case.id).instances[0].state)
    return statistics.mean(times[:100]), sizes


def cases_per_second(service: Service, seconds: float) -> float:
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        case = service.start_case(PROCESS, {"omschrijving": "doorvoer"}, "anna")
        for klaar in (False, False, False, True):
            task = service.tasks(case_id=case.id)[0]
            service.complete_task(task.id, {"klaar": klaar}, "anna")
        done += 1
    return done / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--steps", type=int, default=1000, help="passes through the loop (default 1000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the throughput run")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    service = Service(url, HERE / "processes", HERE / "forms", clock=FixedClock(datetime(2026, 3, 2, 9, tzinfo=TZ)))
    service.init_db()
    service.deploy()
    service.upsert_user("anna", "Anna Benchmark", ["inbrenger"])

    ours, our_sizes = service_steps(service, args.steps)
    bare, bare_sizes = bare_steps(args.steps)
    rate = cases_per_second(service, args.seconds)

    print(f"database: {service.engine.url.get_backend_name()}")
    print(f"complete_task_ms: {ours * 1000:.2f}   (service layer, first 100 steps, incl. commit)")
    print(f"bare_load_complete_save_ms: {bare * 1000:.2f}   (stock SpiffWorkflow in memory, first 100 steps)")
    print(f"complete_vs_bare_ratio: {ours / bare:.2f}")
    print(f"cases_per_second: {rate:.1f}   (start + 4 completions each, service layer)")
    for n in sorted(our_sizes):
        print(f"state_bytes_after_{n}: {our_sizes[n]}   (stock SpiffWorkflow: {bare_sizes.get(n, '-')})")
    if 10 in our_sizes and max(our_sizes) > 10:
        print(f"state_growth_{max(our_sizes)}_vs_10: {our_sizes[max(our_sizes)] / our_sizes[10]:.2f}")
        if max(bare_sizes) > 10:
            print(f"stock_state_growth_{max(bare_sizes)}_vs_10: {bare_sizes[max(bare_sizes)] / bare_sizes[10]:.2f}")


if __name__ == "__main__":
    main()
