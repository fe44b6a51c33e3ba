"""One running procedure, as the service layer sees it.

`Runtime` holds what is shared (script engine, serializer); `Run` wraps one BpmnWorkflow and
speaks in plain values: ready user tasks with their role, form and deadline; the next timer;
the messages it waits for; and a fingerprint of its state for the auditor's replay. Nothing in
here knows about the database.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import clock
from .expressions import ExpressieFout
from .join import branch_ends
from .prune import prune
from .serializer import serializer


class EngineError(Exception):
    """A process could not go on (a condition failed, a message nobody waits for, ...).

    Where the engine knows it: the element that failed and the data its expression saw (for the
    beheerder's incident, app/service/incidents.py)."""

    def __init__(self, message: str = "", *, element_id: str | None = None, element_name: str | None = None,
                 data: dict | None = None):
        super().__init__(message)
        self.element_id, self.element_name, self.data = element_id, element_name, data


def _failure(exc: Exception, task=None) -> EngineError:
    """An EngineError for `exc`, with the failing task's element and data where known."""
    task = getattr(exc, "task", None) or task
    spec = getattr(task, "task_spec", None)
    return EngineError(_describe(exc), element_id=getattr(spec, "bpmn_id", None),
                       element_name=(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None)),
                       data=dict(task.data) if task is not None else None)


@dataclass(frozen=True)
class UserTaskInfo:
    spiff_id: str
    bpmn_id: str
    name: str
    process_id: str
    lane: str | None
    role: str | None
    form_key: str | None
    assignee: str | None
    due_at: datetime | None
    documentation: str | None


@dataclass(frozen=True)
class Wait:
    """One event a procedure waits for, named as in its diagram.

    `boundary`: a deadline on work that goes on (a timer on a task's border), not the flow itself
    standing still until word from outside or a date."""
    name: str
    bpmn_id: str
    process_id: str
    message: str | None  # the message's name, for a message
    due_at: datetime | None  # the moment, for a timer
    boundary: bool


@dataclass
class StepLog:
    """What the engine did by itself during one action (gateways, timers, messages, ends)."""

    steps: list[dict] = field(default_factory=list)

    def record(self, task) -> None:
        spec = task.task_spec
        self.steps.append(
            {
                "bpmn_id": spec.bpmn_id,
                "name": spec.bpmn_name,
                "process_id": _process_of(task),
                "type": type(spec).__name__,
            }
        )


def _to_utc(value) -> datetime | None:
    """A due date from an expression: a date means the end of that day in Europe/Amsterdam."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=clock.TZ)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(23, 59, 59), clock.TZ)
    else:
        raise ExpressieFout(f"Een deadline moet een datum zijn, niet {value!r}")
    return moment.astimezone(timezone.utc)


def _process_of(task) -> str:
    """The process (diagram) a task belongs to: an embedded sub-process counts as its parent's.

    (The Camunda parser makes embedded sub-processes call activities too; what tells them apart
    is that they come from the same file as the process around them.)
    """
    workflow = task.workflow
    while workflow.parent_task_id is not None:
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id).workflow
        if parent.spec.file != workflow.spec.file:
            break
        workflow = parent
    return workflow.spec.name


def _interrupting_deadline(task) -> datetime | None:
    """Without a dueDate, a task's deadline is the interrupting timer on its border, if any."""
    parent = task.parent
    for sibling in parent.children if parent is not None else []:
        spec = sibling.task_spec
        if (sibling is not task and isinstance(spec, BoundaryEvent) and spec.cancel_activity
                and isinstance(spec.event_definition, TimerEventDefinition)):
            value = sibling.internal_data.get("event_value")
            if isinstance(value, str):
                return TimerEventDefinition.get_datetime(value).astimezone(timezone.utc)
    return None


def _definitions(task) -> list:
    """The events a waiting task listens for (an event-based gateway listens for several)."""
    definition = task.task_spec.event_definition
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition]


class Run:
    def __init__(self, runtime: "Runtime", workflow: BpmnWorkflow):
        self.runtime = runtime
        self.wf = workflow

    # --- acting -------------------------------------------------------------------------

    def advance(self) -> StepLog:
        """Run every automatic step (and due timers) until the process waits again."""
        log = StepLog()
        try:
            self.wf.refresh_timers()
            self.wf.do_engine_steps(did_complete_task=log.record)
        except (SpiffWorkflowException, ExpressieFout) as exc:
            raise _failure(exc) from exc
        prune(self.wf)
        return log

    def complete(self, spiff_id: str, data: dict) -> StepLog:
        task = self.wf.get_task_from_id(UUID(spiff_id))
        if task is None or task.state != TaskState.READY or not isinstance(task.task_spec, UserTaskMixin):
            raise EngineError("Deze taak staat niet (meer) open in het proces.")
        task.data.update(data)
        try:
            task.run()
        except (SpiffWorkflowException, ExpressieFout) as exc:
            raise _failure(exc, task) from exc
        return self.advance()

    def deliver(self, message_name: str, payload: dict) -> StepLog:
        for waiting in list(self.wf.event_manager.tasks.values()):
            for definition in _definitions(waiting):
                if isinstance(definition, MessageEventDefinition) and definition.name == message_name:
                    self.wf.send_event(BpmnEvent(definition, payload=payload))
                    return self.advance()
        raise EngineError(f"Het proces wacht niet op het bericht '{message_name}'.")

    def outgoing(self) -> list[dict]:
        """Messages and escalations the process threw that nothing inside it caught.

        A message carries `payload`: the data of the step that sent it (who to send to).
        """
        result = []
        for event in self.wf.get_events():
            definition = event.event_definition
            item = {
                "kind": type(definition).__name__.replace("EventDefinition", "").lower(),
                "name": getattr(definition, "name", None) or getattr(definition, "code", None),
                "code": getattr(definition, "code", None),
            }
            if isinstance(definition, MessageEventDefinition) and isinstance(event.payload, dict):
                item["payload"] = event.payload
            result.append(item)
        return result

    # --- reading ------------------------------------------------------------------------

    @property
    def completed(self) -> bool:
        return self.wf.is_completed()

    def ready_user_tasks(self) -> list[UserTaskInfo]:
        tasks = self.wf.get_tasks(state=TaskState.READY, manual=True)
        return [self._info(t) for t in tasks]

    def _info(self, task) -> UserTaskInfo:
        spec = task.task_spec
        ext = spec.extensions or {}
        groups = ext.get("candidateGroups") or []
        return UserTaskInfo(
            spiff_id=str(task.id),
            bpmn_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            process_id=_process_of(task),
            lane=spec.lane,
            role=groups[0] if groups else None,
            form_key=ext.get("formKey") or (spec.form.key if getattr(spec, "form", None) else None),
            assignee=self._evaluate(task, ext.get("assignee")),
            due_at=_to_utc(self._evaluate(task, ext.get("dueDate"))) if ext.get("dueDate")
            else _interrupting_deadline(task),
            documentation=spec.documentation,
        )

    def _evaluate(self, task, expression):
        if not expression:
            return None
        try:
            return self.runtime.script_engine.evaluate(task, expression)
        except (SpiffWorkflowException, ExpressieFout) as exc:
            failure = _failure(exc, task)
            raise EngineError(f"Taak '{task.task_spec.bpmn_name}': {failure}", element_id=failure.element_id,
                              element_name=failure.element_name, data=failure.data) from exc

    def next_timer_at(self) -> datetime | None:
        due = []
        for task in self.wf.event_manager.tasks.values():
            if not any(isinstance(d, TimerEventDefinition) for d in _definitions(task)):
                continue
            value = task.internal_data.get("event_value")
            if isinstance(value, dict):
                value = value.get("next")
            if value:
                due.append(TimerEventDefinition.get_datetime(value).astimezone(timezone.utc))
        return min(due) if due else None

    def active_elements(self) -> set[tuple[str, str]]:
        """(process id, BPMN id) of every element that is running or waiting now."""
        active = set()
        for workflow in (self.wf, *self.wf.subprocesses.values()):
            for task in workflow.tasks.values():
                if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED) and task.task_spec.bpmn_id:
                    active.add((_process_of(task), task.task_spec.bpmn_id))
        return active

    def waits(self) -> list[Wait]:
        """Every message and timer the procedure waits for; an event-based gateway's choices each
        by the name of their own event in the diagram."""
        found = []
        for task in self.wf.event_manager.tasks.values():
            spec = task.task_spec
            pairs = [(spec.event_definition, spec)]
            if isinstance(spec, EventBasedGateway):
                # SpiffWorkflow moves each catch event's definition into the gateway, in the order of its outputs.
                pairs = list(zip(spec.event_definition.event_definitions, spec.outputs))
            value = task.internal_data.get("event_value")
            if isinstance(value, dict):
                value = value.get("next")
            for definition, target in pairs:
                if isinstance(definition, MessageEventDefinition):
                    message, due = definition.name, None
                elif isinstance(definition, TimerEventDefinition) and isinstance(value, str):
                    message, due = None, TimerEventDefinition.get_datetime(value).astimezone(timezone.utc)
                else:
                    continue
                found.append(Wait(name=target.bpmn_name or target.bpmn_id, bpmn_id=target.bpmn_id,
                                  process_id=_process_of(task), message=message, due_at=due,
                                  boundary=isinstance(spec, BoundaryEvent)))
        return sorted(found, key=lambda w: (w.due_at is None, w.due_at or datetime.min.replace(tzinfo=timezone.utc),
                                            w.name))

    def waiting_messages(self) -> list[str]:
        names = set()
        for task in self.wf.event_manager.tasks.values():
            for definition in _definitions(task):
                if isinstance(definition, MessageEventDefinition):
                    names.add(definition.name)
        return sorted(names)

    def end_state(self) -> str | None:
        """The `Eind_<eindstatus>` end event the top-level process reached, if it ended."""
        if not self.completed:
            return None
        ends = [
            t for t in self.wf.tasks.values()
            if t.state == TaskState.COMPLETED and isinstance(t.task_spec, EndEvent)
            # Escalation ends of soft deadlines are signals, not the outcome.
            and type(t.task_spec.event_definition).__name__ == "NoneEventDefinition"
        ]
        for task in ends:
            bpmn_id = task.task_spec.bpmn_id or ""
            if bpmn_id.startswith("Eind_"):
                return bpmn_id[len("Eind_"):]
        return None

    def task_data(self, spiff_id: str) -> dict:
        """The data a waiting task sees (what its gateways and deadlines read), or {} if it is gone."""
        task = self.wf.get_task_from_id(UUID(spiff_id))
        return dict(task.data) if task is not None else {}

    def current_data(self) -> dict:
        """The data the process holds now: its end data once it finished, else what its running and
        waiting tasks carry (merged; parallel branches each add theirs, a branch that already reached
        its join with the data it ended with: a waiting join task itself carries none)."""
        if self.completed:
            return dict(self.wf.data)
        values: dict = {}
        for workflow in (self.wf, *self.wf.subprocesses.values()):
            for task in workflow.tasks.values():
                if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                    if task.state == TaskState.WAITING and isinstance(task.task_spec, UnstructuredJoin):
                        for end in branch_ends(task):
                            values.update(end.data)
                    else:
                        values.update(task.data)
        return values

    @property
    def data(self) -> dict:
        return self.wf.data if self.completed else self.wf.task_tree.data

    def dump(self) -> str:
        return serializer().dump(self.wf)

    def fingerprint(self) -> str:
        """A digest of what matters in the state, independent of random task ids and wall time."""
        parts = []
        for wf in (self.wf, *self.wf.subprocesses.values()):
            for task in wf.tasks.values():
                if task.has_state(TaskState.FINISHED_MASK):
                    continue
                parts.append(
                    [
                        wf.spec.name,
                        task.task_spec.name,
                        task.state,
                        json.dumps(task.data, sort_keys=True, default=str),
                        json.dumps(task.internal_data.get("event_value"), sort_keys=True, default=str),
                    ]
                )
        parts.sort()
        payload = json.dumps(
            {"completed": self.completed, "data": self.wf.data, "tasks": parts}, sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def _describe(exc: Exception) -> str:
    if isinstance(exc, ExpressieFout):
        return str(exc)
    inner = exc.__cause__
    if isinstance(inner, ExpressieFout):
        return str(inner)
    task = getattr(exc, "task", None)
    where = f" (bij '{task.task_spec.bpmn_name or task.task_spec.bpmn_id}')" if task is not None else ""
    message = getattr(exc, "error", None) or str(exc)
    return f"{message}{where}"


class Runtime:
    def __init__(self, script_engine):
        self.script_engine = script_engine

    def start(self, spec, subprocess_specs, data: dict[str, Any]) -> tuple[Run, StepLog]:
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        wf.task_tree.data.update(data)
        run = Run(self, wf)
        return run, run.advance()

    def load(self, state: str, spec, subprocess_specs) -> Run:
        wf = serializer().load(state, spec, subprocess_specs)
        wf.script_engine = self.script_engine
        return Run(self, wf)
