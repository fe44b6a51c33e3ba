"""app/engine/migrate.py on small diagrams, without a database: what stays, what is refused, and
a waiting timer that keeps its due time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from app.engine import clock as clock_mod
from app.engine.expressions import make_script_engine
from app.engine.migrate import MigrationRefused, migrate
from app.engine.parser import VhtParser
from app.engine.runtime import Runtime

HEAD = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="http://bpmn.io/schema/bpmn">'
        '<bpmn:process id="proc" isExecutable="true"><bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing>'
        '</bpmn:startEvent>')
TAIL = '<bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent></bpmn:process></bpmn:definitions>'
TIMER = ('<bpmn:boundaryEvent id="Timer_A" cancelActivity="false" attachedToRef="Task_A"><bpmn:outgoing>F4</bpmn:outgoing>'
         '<bpmn:timerEventDefinition><bpmn:timeDuration>"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition>'
         '</bpmn:boundaryEvent><bpmn:endEvent id="EndEvent_2"><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>'
         '<bpmn:sequenceFlow id="F4" sourceRef="Timer_A" targetRef="EndEvent_2" />')


def diagram(a: str = "userTask", a_name: str = "Stap A", timer: str | None = None, with_a: bool = True) -> bytes:
    body = ""
    if with_a:
        body += (f'<bpmn:{a} id="Task_A" name="{a_name}"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>'
                 f'</bpmn:{a}><bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_A" />'
                 '<bpmn:sequenceFlow id="F2" sourceRef="Task_A" targetRef="Task_B" />')
    else:
        body += '<bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_B" />'
    body += ('<bpmn:userTask id="Task_B" name="Stap B"><bpmn:incoming>' + ("F2" if with_a else "F1") +
             '</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>'
             '<bpmn:sequenceFlow id="F3" sourceRef="Task_B" targetRef="EndEvent_1" />')
    if timer:
        body += TIMER.format(duration=timer)
    return (HEAD + body + TAIL).encode()


def spec(xml: bytes):
    parser = VhtParser(validator=BpmnValidator())
    parser.add_bpmn_str(xml, filename="proc.bpmn")
    return parser.get_spec("proc"), parser.get_subprocess_specs("proc")


@pytest.fixture
def runtime():
    return Runtime(make_script_engine())


def started(runtime, xml: bytes):
    run, _ = runtime.start(*spec(xml), {"x": 1})
    # A state round trip, as every act does: the migration works on a loaded workflow.
    return runtime.load(run.dump(), *spec(xml))


def test_a_renamed_task_stays_with_its_data(runtime):
    run = started(runtime, diagram())
    (before,) = run.ready_user_tasks()
    moved = migrate(run, *spec(diagram(a_name="Stap A, hernoemd")))
    assert [(i.spiff_id, i.name) for i in moved.stays] == [(before.spiff_id, "Stap A, hernoemd")]
    assert moved.removed == moved.added == []
    assert run.task_data(before.spiff_id)["x"] == 1
    run.complete(before.spiff_id, {})
    assert [i.bpmn_id for i in run.ready_user_tasks()] == ["Task_B"]


def test_a_removed_or_changed_kind_of_current_step_is_refused(runtime):
    with pytest.raises(MigrationRefused, match="bestaat niet in de nieuwe versie"):
        migrate(started(runtime, diagram()), *spec(diagram(with_a=False)))
    with pytest.raises(MigrationRefused, match="ander soort element"):
        migrate(started(runtime, diagram()), *spec(diagram(a="manualTask")))


def test_a_waiting_timer_keeps_its_due_time_unless_it_changed(runtime):
    start = clock_mod.FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    later = clock_mod.FixedClock(start.now() + timedelta(minutes=30))
    with clock_mod.active(start):
        kept, changed = started(runtime, diagram(timer="PT1H")), started(runtime, diagram(timer="PT1H"))
    due = start.now() + timedelta(hours=1)
    assert kept.next_timer_at() == changed.next_timer_at() == due
    with clock_mod.active(later):
        migrate(kept, *spec(diagram(a_name="Anders", timer="PT1H")))
        migrate(changed, *spec(diagram(timer="PT2H")))
    assert kept.next_timer_at() == due  # not re-armed from the moment of migration
    assert changed.next_timer_at() == later.now() + timedelta(hours=2)  # the new definition counts from now


def test_a_chosen_target_takes_over_a_removed_step(runtime):
    """Step A is gone in the new version: the owner lets the case go on at B (the open task ends,
    a new one begins); a second copy migrated the same way ends in the same state (replay)."""
    run, copy_ = started(runtime, diagram()), started(runtime, diagram())
    (before,) = run.ready_user_tasks()
    moved = migrate(run, *spec(diagram(with_a=False)), {"Task_A": "Task_B"})
    assert [i.bpmn_id for i in moved.removed] == ["Task_A"] and [i.bpmn_id for i in moved.added] == ["Task_B"]
    assert moved.added[0].spiff_id != before.spiff_id and moved.stays == []
    assert run.task_data(moved.added[0].spiff_id)["x"] == 1
    migrate(copy_, *spec(diagram(with_a=False)), {"Task_A": "Task_B"})
    assert copy_.fingerprint() == run.fingerprint()
    run.complete(moved.added[0].spiff_id, {})
    assert run.completed


def test_a_target_with_a_timer_on_its_border_starts_that_timer(runtime):
    start = clock_mod.FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    with clock_mod.active(start):
        run = started(runtime, diagram(a="userTask"))
    # The new version: A gone, a timer on B's border.
    target = diagram(with_a=False).replace(
        b"</bpmn:process>", TIMER.format(duration="PT1H").replace("Task_A", "Task_B").encode() + b"</bpmn:process>")
    with clock_mod.active(start):
        moved = migrate(run, *spec(target), {"Task_A": "Task_B"})
    assert [i.bpmn_id for i in moved.added] == ["Task_B"]
    assert run.next_timer_at() == start.now() + timedelta(hours=1)


def test_a_target_must_be_a_user_task_of_the_new_version(runtime):
    with pytest.raises(MigrationRefused, match="geen gebruikerstaak"):
        migrate(started(runtime, diagram()), *spec(diagram(with_a=False)), {"Task_A": "Task_X"})
    with pytest.raises(MigrationRefused, match="geen gebruikerstaak"):
        migrate(started(runtime, diagram()), *spec(diagram(with_a=False)), {"Task_A": "EndEvent_1"})
