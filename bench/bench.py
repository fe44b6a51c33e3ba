"""`make bench`: what the product adds to bare SpiffWorkflow, measured in one run.

The two sides of the ratios, per step (one user task completed; the steps are P0 -> P1 zorg, a real
procedure with called subprocesses, and a one-task rework loop, the smallest possible process):

  ours        Service.complete_task: one database transaction that reads the task, its instance, case
              and the acting user in one query, checks access, validates the form and applies the
              task rules, loads the instance state against the pinned version's specs (kept apart,
              cached), completes the task, runs the engine, prunes and saves the state with the
              columns the inbox and the timer worker query, projects the inbox (human_task rows),
              appends the hash-chained event with a state fingerprint, queues notifications and
              commits (SQLite by default: WAL, synchronous=NORMAL, BEGIN IMMEDIATE).
  bare        SpiffWorkflow 3.2.0 as a competent integration uses it (as its own example application
              does): the specs are serialized once apart from the instances and deserialized once
              into memory; the instance JSON holds only the task tree (workflow, subprocesses,
              events), not the spec or the called specs. Per step: deserialize_json of the state
              (restored against the in-memory specs) -> complete the ready user task with the same
              data -> do_engine_steps -> serialize_json. Same parser, script engine, helpers and
              fixed clock as ours; the state lives in a Python string.
  bare_sqlite the same as bare, with the state kept in a SQLite row (a fresh file, WAL,
              synchronous=NORMAL as ours): BEGIN IMMEDIATE, SELECT the JSON, the same work, UPDATE
              the row, COMMIT.

Only the step is timed on every side (starting the case is not). Rounds are interleaved: each round
measures every side on both processes, in a rotating order, so a noisy neighbour hits all sides
alike. Each ratio is the median of the per-round ratios, with their p25-p75 and min-max beside it.

Printed:
  complete_vs_bare_ratio              ours / bare on P0 -> P1 zorg
  complete_vs_bare_sqlite_ratio       ours / bare_sqlite on P0 -> P1 zorg
  complete_vs_bare_ratio_loop         ours / bare on the one-task loop
  complete_vs_bare_sqlite_ratio_loop  ours / bare_sqlite on the one-task loop
  bare_state_bytes(_loop)             the state the bare side saves at the last step (no specs in it)
  cases_per_second                    whole P0 -> P1 cases (start + 3 completions) through the service layer;
  state_growth_1000_vs_10             stored state size after 1000 passes of the rework loop against 10,
                                      with stock SpiffWorkflow's growth beside it.
  completion_300_vs_10                one completion of the rework loop around pass 300 against around
                                      pass 10 (same case; median of the passes within 10): cost must not grow
                                      with a case's history.

The HTTP figures (one API completion's latency, completions/s with 16 clients) are bench/http_load.py;
`make bench` runs both.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
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
# What a step's time is: wall time by default; with --cpu the CPU time of this thread (both sides
# run in this one thread), which other work on a busy machine hardly changes.
clock_now = time.perf_counter
START = datetime(2026, 3, 2, 9, tzinfo=clock_mod.TZ)

CASUS = {
    "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING",
    "ouders": [{"naam": "Petra", "gezag": True}], "jeugdigen": [{"naam": "Sam", "geboortedatum": "2015-06-01"}],
    "cab_datum": "2026-03-02", "maatregel": "geen",
}
# cab_gehouden_op is given (ours fills it in only when absent), so both sides get the same data.
P0_ZORG = ("p0_consultatie_advies", ROOT / "processes", CASUS, [
    ("Task_CabHouden", "vera", {"advies_type": "andere_aanpak", "advies_tekst": "Zorg.",
                                "afspraken": [{"wie": "A", "wat": "B"}], "interventies": ["zorg"],
                                "cab_gehouden_op": "2026-03-02"}),
    ("Task_AdviesVerwerken", "anna", {"vk_advies_verwerkt": True}),
    ("Task_ContactZorgLeggen", "anna", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                        "zorg_vht_organisatie": False}),
])
LOOP = ("bench_herstelronde", HERE / "processes", {"omschrijving": "bench"},
        [("Task_Bewerken", "anna", {"klaar": k}) for k in (False, False, False, True)])


def _specs_apart_serializer(specs: dict) -> BpmnWorkflowSerializer:
    """Stock serializer whose workflow converter writes spec names, not specs, and restores the
    workflow against `specs` ({name: spec}, deserialized once). The example application's
    SqliteSerializer does the same with its own WorkflowConverter."""

    class SpecsApart(BpmnWorkflowConverter):
        def to_dict(self, workflow):
            dct = WorkflowConverter.to_dict(self, workflow)
            dct["spec"] = workflow.spec.name
            dct["subprocess_specs"] = sorted(workflow.subprocess_specs)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct):
            spec = specs[dct.pop("spec")]
            subprocess_specs = {name: specs[name] for name in dct.pop("subprocess_specs")}
            workflow = self.target_class(spec, subprocess_specs, deserializing=True)
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
            workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
            return workflow

    config = _config()
    config[BpmnWorkflow] = SpecsApart
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


class Bare:
    """Bare SpiffWorkflow for one scenario: specs stored apart once, state per step (see the docstring)."""

    def __init__(self, scenario, folder_for_db: Path | None = None):
        process_id, folder, start_data, self.steps = scenario
        parser = VhtParser(validator=BpmnValidator())
        parser.add_bpmn_files_by_glob(str(folder / "*.bpmn"))
        subs = parser.get_subprocess_specs(process_id)
        self.sub_names = sorted(subs)
        parsed = {**subs, process_id: parser.get_spec(process_id)}
        # Stored apart (as JSON, once), then deserialized once: the specs every step restores against.
        spec_ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))
        stored = json.dumps({name: spec_ser.to_dict(spec) for name, spec in parsed.items()})
        self.specs = {name: spec_ser.from_dict(dct) for name, dct in json.loads(stored).items()}
        self.process_id = process_id
        self.ser = _specs_apart_serializer(self.specs)
        self.data = {**start_data, "inbrenger": "anna", "instellingen": load_parameters(ROOT / "processes")}
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment(make_helpers(WerkdagKalender(), self.data)))
        self.db = None
        if folder_for_db is not None:
            self.db = sqlite3.connect(folder_for_db / f"bare_{process_id}.sqlite", isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS workflow (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
        self.state_bytes = 0  # the state saved by the last step

    def start(self) -> str | int:
        wf = BpmnWorkflow(self.specs[self.process_id], {name: self.specs[name] for name in self.sub_names},
                          script_engine=self.engine)
        wf.task_tree.data.update(self.data)
        wf.do_engine_steps()
        state = self.ser.serialize_json(wf)
        if self.db is None:
            return state
        return self.db.execute("INSERT INTO workflow (state) VALUES (?)", (state,)).lastrowid

    def step(self, ref, bpmn_id: str, values: dict):
        """One request: load -> complete the ready user task -> engine steps -> save. Returns the new ref."""
        if self.db is not None:
            self.db.execute("BEGIN IMMEDIATE")
            (state,) = self.db.execute("SELECT state FROM workflow WHERE id = ?", (ref,)).fetchone()
        else:
            state = ref
        wf = self.ser.deserialize_json(state)
        wf.script_engine = self.engine
        task = next(t for t in wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == bpmn_id)
        task.data.update(values)
        task.run()
        wf.do_engine_steps()
        state = self.ser.serialize_json(wf)
        self.state_bytes = len(state)
        if self.db is None:
            return state
        self.db.execute("UPDATE workflow SET state = ? WHERE id = ?", (state, ref))
        self.db.execute("COMMIT")
        return ref


def bare(side: Bare, cases: int) -> float:
    """Mean ms per step of the bare side, same steps as ours."""
    times = []
    with clock_mod.active(clock_mod.FixedClock(START)):
        for _ in range(cases):
            ref = side.start()
            for bpmn_id, _actor, values in side.steps:
                t0 = clock_now()
                ref = side.step(ref, bpmn_id, values)
                times.append(clock_now() - t0)
    return statistics.mean(times) * 1000


def ours(service: Service, scenario, cases: int) -> float:
    """Mean ms per complete_task through the service layer, same steps."""
    process_id, _folder, start_data, steps = scenario
    times = []
    for _ in range(cases):
        case = service.start_case(process_id, start_data, "anna")
        for bpmn_id, actor, values in steps:
            task = next(t for t in service.tasks(case_id=case.id) if t.bpmn_id == bpmn_id)
            t0 = clock_now()
            service.complete_task(task.id, values, actor)
            times.append(clock_now() - t0)
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


def loop_sizes(service: Service, passes: int) -> tuple[dict[int, int], dict[int, float]]:
    """The stored state after 10, 100, 1000 (or `passes`) passes of the rework loop, and the ms of
    one completion around pass 10 and pass 300 (median of the passes within 10 of each)."""
    case = service.start_case("bench_herstelronde", {}, "anna")
    sizes, times = {}, {}
    for n in range(1, passes + 1):
        task = service.tasks(case_id=case.id)[0]
        t0 = clock_now()
        service.complete_task(task.id, {"klaar": False}, "anna")
        times[n] = (clock_now() - t0) * 1000
        if n in (10, 100, 1000) or n == passes:
            sizes[n] = len(service.case(case.id).instances[0].state)
    around = {at: statistics.median(times[k] for k in range(max(2, at - 10), at + 11))
              for at in (10, 300) if at + 10 <= passes}
    return sizes, around


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


def profile(service: Service, scenario, cases: int) -> None:
    """cProfile of complete_task only (not the start or the task lookup), our code by cumulative time."""
    import cProfile
    import io
    import pstats

    ours(service, scenario, 3)
    profiler = cProfile.Profile()
    complete = service.complete_task

    def profiled(*args, **kwargs):
        profiler.enable()
        try:
            return complete(*args, **kwargs)
        finally:
            profiler.disable()

    service.complete_task = profiled
    try:
        ours(service, scenario, cases)
    finally:
        del service.complete_task
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(rf"{ROOT}/(app|persistence)/", 30)
    print(f"=== profile of complete_task, {scenario[0]}, {cases * len(scenario[3])} completions "
          "(times include cProfile's overhead) ===")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:8000])


def _spread(values: list[float]) -> str:
    if len(values) < 2:
        return "one round: no spread"
    p25, _p50, p75 = statistics.quantiles(values, n=4, method="inclusive")
    return f"median of {len(values)} rounds; p25-p75 {p25:.2f}-{p75:.2f}; min-max {min(values):.2f}-{max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="ours: default a fresh SQLite file in a temporary folder "
                        "(bare_sqlite always uses a fresh SQLite file beside it)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds per ratio (default 9)")
    parser.add_argument("--cases", type=int, default=10,
                        help="cases per side, process and round (default 10; P0 has 3 steps per case, the loop 4)")
    parser.add_argument("--passes", type=int, default=1000, help="rework-loop passes for state growth")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the throughput run")
    parser.add_argument("--cpu", action="store_true",
                        help="time the steps in CPU time of the thread instead of wall time (for a busy machine: "
                             "leaves out waiting for a core, and also the little time SQLite waits on the disk)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the figures: cProfile of ours on both processes (where the time goes "
                             "beyond the bare side), the product's own functions by cumulative time")
    args = parser.parse_args()
    global clock_now
    if args.cpu:
        clock_now = time.thread_time

    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    clock = clock_mod.FixedClock(START)
    services = {}
    for name, folder, forms in (("procedures", ROOT / "processes", ROOT / "forms"),
                                ("loop", HERE / "processes", HERE / "forms")):
        service = Service(url, folder, forms, clock=clock)
        service.init_db()
        service.deploy(reden="testopzet")
        for user, roles in (("anna", ["inbrenger"]), ("vera", ["veiligheidsteam"])):
            service.upsert_user(user, user, roles)
        services[name] = service

    scenarios = {"": (P0_ZORG, services["procedures"]), "_loop": (LOOP, services["loop"])}
    if args.profile:
        for suffix, (scenario, service) in scenarios.items():
            profile(service, scenario, args.cases)
        return
    sides, bare_sides = {}, {}
    for suffix, (scenario, service) in scenarios.items():
        bare_side, sqlite_side = Bare(scenario), Bare(scenario, tmp)
        bare_sides[suffix] = bare_side
        # Warm up every side (spec parse and caches, statement cache, SQLite files).
        ours(service, scenario, 3)
        bare(bare_side, 3)
        bare(sqlite_side, 3)
        sides[suffix] = {"ours": lambda n, sv=service, sc=scenario: ours(sv, sc, n),
                         "bare": lambda n, b=bare_side: bare(b, n),
                         "bare_sqlite": lambda n, b=sqlite_side: bare(b, n)}
    # Interleaved rounds in a rotating order: a noisy neighbour hits every side alike.
    samples = {suffix: {side: [] for side in measure} for suffix, measure in sides.items()}
    for r in range(args.rounds):
        for suffix, measure in sides.items():
            names = list(measure)
            for side in names[r % 3:] + names[:r % 3]:
                samples[suffix][side].append(measure[side](args.cases))
    rate = cases_per_second(services["procedures"], P0_ZORG, args.seconds)
    sizes, around = loop_sizes(services["loop"], args.passes)
    stock = stock_loop_sizes(args.passes)

    print(f"database: {services['procedures'].engine.url.get_backend_name()}   (ours; bare_sqlite: sqlite)   "
          f"timer: {'CPU time of the thread (--cpu)' if args.cpu else 'wall time'}")
    for suffix, label in (("", "P0 -> P1 zorg"), ("_loop", "one-task loop")):
        ms = {side: statistics.median(values) for side, values in samples[suffix].items()}
        print(f"--- {label}: ms per step, median of per-round means")
        print(f"complete_task_ms{suffix}: {ms['ours']:.2f}   bare_ms{suffix}: {ms['bare']:.2f}   "
              f"bare_sqlite_ms{suffix}: {ms['bare_sqlite']:.2f}")
        for base in ("bare", "bare_sqlite"):
            ratios = [o / b for o, b in zip(samples[suffix]["ours"], samples[suffix][base])]
            name = "complete_vs_bare_ratio" if base == "bare" else "complete_vs_bare_sqlite_ratio"
            print(f"{name}{suffix}: {statistics.median(ratios):.2f}   ({_spread(ratios)})")
    print(f"bare_state_bytes: {bare_sides[''].state_bytes}   bare_state_bytes_loop: {bare_sides['_loop'].state_bytes}"
          "   (the state each bare step saves, at the last step; specs kept apart)")
    print(f"cases_per_second: {rate:.1f}   (P0 -> P1 zorg: start + 3 completions, service layer)")
    for n, size in sorted(sizes.items()):
        print(f"state_bytes_after_{n}: {size}")
    for n, size in sorted(stock.items()):
        print(f"stock_state_bytes_after_{n}: {size if size is not None else 'stalled (task lost, tree depth > 1000)'}")
    if 10 in sizes:
        print(f"state_growth_{max(sizes)}_vs_10: {sizes[max(sizes)] / sizes[10]:.2f}")
    if 10 in around and 300 in around:
        print(f"completion_300_vs_10: {around[300] / around[10]:.2f}   (one completion around pass 300: "
              f"{around[300]:.2f} ms, around pass 10: {around[10]:.2f} ms; median of the passes within 10 of each, one case)")
    if stock.get(10) and stock.get(300):
        print(f"stock_state_growth_300_vs_10: {stock[300] / stock[10]:.2f}")


if __name__ == "__main__":
    main()
