"""`make bench`: what the product adds to bare SpiffWorkflow, measured in one run.

Printed, from one run on this machine (ratios, because machines are noisy):
  complete_vs_bare_ratio      our complete_task (load from the database, validate the form, run,
                              project the inbox, log the event, commit) against bare SpiffWorkflow
                              doing deserialize -> complete -> serialize in memory, for the same
                              steps of the same process (P0 -> P1 zorg, a real procedure);
  complete_vs_bare_ratio_loop the same on a one-task rework loop (the smallest possible process);
  cases_per_second            whole P0 -> P1 cases (start + 3 completions) through the service layer;
  state_growth_1000_vs_10     stored state size after 1000 passes of the rework loop against 10,
                              with stock SpiffWorkflow's growth beside it.
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
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine import clock as clock_mod  # noqa: E402
from app.engine.helpers import make_helpers  # noqa: E402
from app.engine.parser import VhtParser  # noqa: E402
from app.engine.serializer import _config  # noqa: E402
from app.engine.werkdagen import WerkdagKalender  # noqa: E402
from app.service import Service  # noqa: E402
from app.service.context import load_parameters  # noqa: E402

HERE = Path(__file__).resolve().parent
START = datetime(2026, 3, 2, 9, tzinfo=clock_mod.TZ)

CASUS = {
    "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING",
    "ouders": [{"naam": "Petra", "gezag": True}], "jeugdigen": [{"naam": "Sam", "geboortedatum": "2015-06-01"}],
    "cab_datum": "2026-03-02", "maatregel": "geen",
}
P0_ZORG = ("p0_consultatie_advies", ROOT / "processes", CASUS, [
    ("Task_CabHouden", "vera", {"advies_type": "andere_aanpak", "advies_tekst": "Zorg.",
                                "afspraken": [{"wie": "A", "wat": "B"}], "interventies": ["zorg"]}),
    ("Task_AdviesVerwerken", "anna", {"vk_advies_verwerkt": True}),
    ("Task_ContactZorgLeggen", "anna", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                        "zorg_vht_organisatie": False}),
])
LOOP = ("bench_herstelronde", HERE / "processes", {"omschrijving": "bench"},
        [("Task_Bewerken", "anna", {"klaar": k}) for k in (False, False, False, True)])


def bare(scenario, cases: int) -> float:
    """Mean ms per step for stock SpiffWorkflow: state JSON (spec embedded) in and out per step."""
    process_id, folder, start_data, steps = scenario
    parser = VhtParser(validator=BpmnValidator())
    parser.add_bpmn_files_by_glob(str(folder / "*.bpmn"))
    spec, subs = parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    parameters = load_parameters(ROOT / "processes")
    data = {**start_data, "inbrenger": "anna", "instellingen": parameters}
    engine = PythonScriptEngine(environment=TaskDataEnvironment(make_helpers(WerkdagKalender(), data)))
    ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))
    times = []
    with clock_mod.active(clock_mod.FixedClock(START)):
        for _ in range(cases):
            wf = BpmnWorkflow(spec, subs, script_engine=engine)
            wf.task_tree.data.update(data)
            wf.do_engine_steps()
            state = ser.serialize_json(wf)
            for bpmn_id, _actor, values in steps:
                t0 = time.perf_counter()
                wf = ser.deserialize_json(state)
                wf.script_engine = engine
                task = next(t for t in wf.get_tasks(state=TaskState.READY, manual=True)
                            if t.task_spec.bpmn_id == bpmn_id)
                task.data.update(values)
                task.run()
                wf.do_engine_steps()
                state = ser.serialize_json(wf)
                times.append(time.perf_counter() - t0)
    return statistics.mean(times) * 1000


def ours(service: Service, scenario, cases: int) -> float:
    """Mean ms per complete_task through the service layer, same steps."""
    process_id, _folder, start_data, steps = scenario
    times = []
    for _ in range(cases):
        case = service.start_case(process_id, start_data, "anna")
        for bpmn_id, actor, values in steps:
            task = next(t for t in service.tasks(case_id=case.id) if t.bpmn_id == bpmn_id)
            t0 = time.perf_counter()
            service.complete_task(task.id, values, actor)
            times.append(time.perf_counter() - t0)
    return statistics.mean(times) * 1000


def cases_per_second(service: Service, scenario, seconds: float) -> float:
    process_id, _folder, start_data, steps = scenario
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        case = service.start_case(process_id, start_data, "anna")
        for bpmn_id, actor, values in steps:
            task = next(t for t in service.tasks(case_id=case.id) if t.bpmn_id == bpmn_id)
            service.complete_task(task.id, values, actor)
        done += 1
    return done / (time.perf_counter() - t0)


def loop_sizes(service: Service, passes: int) -> dict[int, int]:
    case = service.start_case("bench_herstelronde", {}, "anna")
    sizes = {}
    for n in range(1, passes + 1):
        task = service.tasks(case_id=case.id)[0]
        service.complete_task(task.id, {"klaar": False}, "anna")
        if n in (10, 100, 1000) or n == passes:
            sizes[n] = len(service.case(case.id).instances[0].state)
    return sizes


def stock_loop_sizes(passes: int) -> dict[int, int]:
    parser = VhtParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(HERE / "processes" / "bench_herstelronde.bpmn"))
    wf = BpmnWorkflow(parser.get_spec("bench_herstelronde"),
                      script_engine=PythonScriptEngine(environment=TaskDataEnvironment(make_helpers(WerkdagKalender()))))
    ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))
    sizes = {}
    with clock_mod.active(clock_mod.FixedClock(START)):
        wf.do_engine_steps()
        for n in range(1, passes + 1):
            # Past ~330 passes stock SpiffWorkflow loses the task (tree depth > 1000): stop there.
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            if task is None:
                sizes[n] = None
                break
            task.data.update({"klaar": False})
            task.run()
            wf.do_engine_steps()
            if n in (10, 100, 300):
                sizes[n] = len(ser.serialize_json(wf))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--cases", type=int, default=100, help="cases per ratio measurement (default 100)")
    parser.add_argument("--passes", type=int, default=1000, help="rework-loop passes for state growth")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the throughput run")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    clock = clock_mod.FixedClock(START)
    services = {}
    for name, folder, forms in (("procedures", ROOT / "processes", ROOT / "forms"),
                                ("loop", HERE / "processes", HERE / "forms")):
        service = Service(url, folder, forms, clock=clock)
        service.init_db()
        service.deploy()
        for user, roles in (("anna", ["inbrenger"]), ("vera", ["veiligheidsteam"])):
            service.upsert_user(user, user, roles)
        services[name] = service

    ours(services["procedures"], P0_ZORG, 5)  # warm up caches (spec parse, statement cache)
    bare(P0_ZORG, 5)
    # Interleaved rounds, median of the per-round figures: a noisy neighbour hits both sides.
    rounds = 5
    per_round = max(1, args.cases // rounds)
    samples = {"ours": [], "bare": [], "ours_loop": [], "bare_loop": []}
    for _ in range(rounds):
        samples["ours"].append(ours(services["procedures"], P0_ZORG, per_round))
        samples["bare"].append(bare(P0_ZORG, per_round))
        samples["ours_loop"].append(ours(services["loop"], LOOP, per_round))
        samples["bare_loop"].append(bare(LOOP, per_round))
    our_ms, bare_ms = statistics.median(samples["ours"]), statistics.median(samples["bare"])
    our_loop, bare_loop = statistics.median(samples["ours_loop"]), statistics.median(samples["bare_loop"])
    rate = cases_per_second(services["procedures"], P0_ZORG, args.seconds)
    sizes = loop_sizes(services["loop"], args.passes)
    stock = stock_loop_sizes(args.passes)

    print(f"database: {services['procedures'].engine.url.get_backend_name()}")
    print(f"complete_task_ms: {our_ms:.2f}   (service layer, P0 -> P1 zorg, incl. database commit)")
    print(f"bare_load_complete_save_ms: {bare_ms:.2f}   (stock SpiffWorkflow in memory, same steps)")
    print(f"complete_vs_bare_ratio: {our_ms / bare_ms:.2f}")
    print(f"complete_task_ms_loop: {our_loop:.2f}   bare_ms_loop: {bare_loop:.2f}")
    print(f"complete_vs_bare_ratio_loop: {our_loop / bare_loop:.2f}")
    print(f"cases_per_second: {rate:.1f}   (P0 -> P1 zorg: start + 3 completions, service layer)")
    for n, size in sorted(sizes.items()):
        print(f"state_bytes_after_{n}: {size}")
    for n, size in sorted(stock.items()):
        print(f"stock_state_bytes_after_{n}: {size if size is not None else 'stalled (task lost, tree depth > 1000)'}")
    if 10 in sizes:
        print(f"state_growth_{max(sizes)}_vs_10: {sizes[max(sizes)] / sizes[10]:.2f}")
    if stock.get(10) and stock.get(300):
        print(f"stock_state_growth_300_vs_10: {stock[300] / stock[10]:.2f}")


if __name__ == "__main__":
    main()
