"""The engine state does not grow with every step: pruning keeps only what still runs."""
from pathlib import Path

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.util.task import TaskState

from app.engine.expressions import make_script_engine
from app.engine.parser import VhtParser, quote_iso_literal
from app.engine.runtime import Runtime
from app.engine.serializer import serializer

BENCH = Path(__file__).resolve().parents[2] / "bench" / "processes"


def loop_run():
    parser = VhtParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(BENCH / "bench_herstelronde.bpmn"))
    runtime = Runtime(make_script_engine())
    spec = parser.get_spec("bench_herstelronde")
    run, _ = runtime.start(spec, {}, {"instellingen": {}})
    return runtime, spec, run


def test_a_rework_loop_of_1000_passes_keeps_a_constant_state_and_still_ends():
    runtime, spec, run = loop_run()
    sizes = {}
    for n in range(1, 1001):
        # A database round trip in miniature: every step starts from the stored JSON.
        run = runtime.load(run.dump(), spec, {})
        (task,) = run.ready_user_tasks()
        run.complete(task.spiff_id, {"klaar": False})
        if n in (10, 1000):
            sizes[n] = len(run.dump())
    assert sizes[1000] <= sizes[10] * 1.05
    assert len(run.wf.tasks) < 20
    (task,) = run.ready_user_tasks()
    run.complete(task.spiff_id, {"klaar": True})
    assert run.completed and run.end_state() == "klaar"


def test_instance_json_does_not_embed_the_spec():
    _, spec, run = loop_run()
    state = run.dump()
    assert '"spec": "bench_herstelronde"' in state
    assert "Task_Bewerken" in state and "bpmn_name" not in state


def test_modelers_iso_timer_values_are_quoted_and_expressions_left_alone():
    assert quote_iso_literal("P2W") == "'P2W'"
    assert quote_iso_literal(" PT30M ") == "'PT30M'"
    assert quote_iso_literal("R3/P1D") == "'R3/P1D'"
    assert quote_iso_literal("2026-05-01T09:00:00+02:00") == "'2026-05-01T09:00:00+02:00'"
    assert quote_iso_literal("einde_dag(gesprek_datum)") == "einde_dag(gesprek_datum)"
    assert quote_iso_literal("'P2W'") == "'P2W'"


def test_completed_tasks_are_not_kept_after_pruning():
    runtime, spec, run = loop_run()
    for _ in range(5):
        (task,) = run.ready_user_tasks()
        run.complete(task.spiff_id, {"klaar": False})
    completed = [t for t in run.wf.tasks.values() if t.state == TaskState.COMPLETED]
    assert len(completed) <= 3
    assert serializer().version == "1.5"
