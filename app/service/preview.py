"""Deploy preview: what a new version of a procedure would have done with every recorded case.

Before a process owner deploys, each instance of the procedure (open and closed, on any version) is
started again on the NEW spec with its recorded start data at its recorded moment, and every recorded
completion, message and timer firing is applied at its recorded moment, the way the auditor's replay
does (replay.apply_event). A case is listed when the new version

  element_weg  has no element for a recorded completion, message or timer, or for a task or message
               the case waits on now;
  ander_pad    would not have the recorded task open at that point, passes other elements after an
               act (a gateway decides otherwise), or ends up with another end state, other open tasks
               or other awaited messages than recorded;
  fout         raises (the engine's Dutch message).

Sub-processes: a call activity runs inside its caller's instance, so a change in a shared sub-process
is previewed through the instances of every procedure that calls it (their bundle changes too).
Procedures that run as an instance of their own (P6, P7, started next to P0) are previewed with their
own process id; preview_process only looks at instances of `process_id` itself.

Nothing is written: this runs in a reading session and keeps the engine runs in memory.
"""
from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import clock as clock_mod
from app.engine.runtime import EngineError, Run
from persistence.models import Case, Event, HumanTask, ProcessInstance

from .context import Context
from .replay import ENGINE_EVENTS, apply_event, find_ready

log = logging.getLogger(__name__)

SAME, OTHER_PATH, ELEMENT_GONE, FAILED = "zelfde", "ander_pad", "element_weg", "fout"
# The step types a timer firing starts with (SpiffWorkflow's class names, as StepLog records them).
_TIMER_STEP_TYPES = {"BoundaryEvent", "IntermediateCatchEvent"}


@dataclass
class PreviewRow:
    case_id: int
    referentie: str
    instance_id: int
    status_case: str  # open / afgesloten
    outcome: str  # 'zelfde' | 'ander_pad' | 'element_weg' | 'fout'
    at_event: int | None  # seq of the case's event where it first differs
    detail: str  # Dutch: which task/element, what differs

    def as_dict(self) -> dict:
        return {"case_id": self.case_id, "referentie": self.referentie, "instance_id": self.instance_id,
                "status_case": self.status_case, "outcome": self.outcome, "at_event": self.at_event,
                "detail": self.detail}


@dataclass
class Preview:
    process_id: str
    cases: int  # instances replayed (one per case, unless a case ran the procedure more than once)
    rows: list[PreviewRow] = field(default_factory=list)  # only those that are not 'zelfde'
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"process_id": self.process_id, "cases": self.cases, "seconds": round(self.seconds, 3),
                "rows": [r.as_dict() for r in self.rows]}


class _Differs(Exception):
    def __init__(self, outcome: str, detail: str):
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


@dataclass
class _Index:
    """What the new version contains: element ids with their names, and the messages it catches."""

    names: dict[str, str]
    messages: set[str]

    @classmethod
    def of(cls, spec, subprocess_specs: dict) -> "_Index":
        names: dict[str, str] = {}
        messages: set[str] = set()
        for process in (spec, *subprocess_specs.values()):
            for task_spec in process.task_specs.values():
                if not task_spec.bpmn_id:
                    continue
                names.setdefault(task_spec.bpmn_id, task_spec.bpmn_name or task_spec.bpmn_id)
                definition = getattr(task_spec, "event_definition", None)
                if not isinstance(task_spec, CatchingEvent) or definition is None:
                    continue
                for item in (definition.event_definitions if isinstance(definition, MultipleEventDefinition)
                             else [definition]):
                    if isinstance(item, MessageEventDefinition):
                        messages.add(item.name)
        return cls(names, messages)

    def label(self, bpmn_id: str) -> str:
        name = self.names.get(bpmn_id)
        return f"'{name}' ({bpmn_id})" if name and name != bpmn_id else f"'{bpmn_id}'"


def _label(bpmn_id: str, name: str | None) -> str:
    return f"'{name}' ({bpmn_id})" if name and name != bpmn_id else f"'{bpmn_id}'"


def _moment(event) -> str:
    data = event.data or {}
    if event.type == "instance_started":
        return "bij de start"
    if event.type == "task_completed":
        return f"na het afronden van taak {_label(event.task_bpmn_id, data.get('task'))}"
    if event.type == "message_delivered":
        return f"na het bericht '{data.get('message')}'"
    if event.type == "verplaatst":
        return "na het verplaatsen van de casus door de beheerder"
    if event.type == "gegevens_gecorrigeerd":
        return "na een correctie van gegevens door de beheerder"
    if event.type == "timer_fired":
        return "toen een termijn verliep"
    return f"na de gebeurtenis '{event.type}'"


def _moment_title(event) -> str:
    text = _moment(event)
    return text[0].upper() + text[1:]


def _step_counts(steps: list[dict]) -> tuple[Counter, dict[str, str]]:
    counts: Counter = Counter()
    names: dict[str, str] = {}
    for step in steps or []:
        bpmn_id = step.get("bpmn_id")
        if bpmn_id:
            counts[bpmn_id] += 1
            names.setdefault(bpmn_id, step.get("name") or bpmn_id)
    return counts, names


def _compare_steps(event, new_steps: list[dict]) -> None:
    """The engine's own steps after an act (gateways, events, ends) must be the recorded ones."""
    recorded, recorded_names = _step_counts((event.data or {}).get("steps"))
    new, new_names = _step_counts(new_steps)
    if recorded == new:
        return
    gone = [_label(i, recorded_names[i]) for i in recorded if new[i] < recorded[i]]
    added = [_label(i, new_names[i]) for i in new if recorded[i] < new[i]]
    parts = []
    if added:
        parts.append(f"via {_some(added)}")
    if gone:
        parts.append(f"niet meer via {_some(gone)}")
    raise _Differs(OTHER_PATH, f"{_moment_title(event)} gaat de nieuwe versie {' en '.join(parts)}.")


def _some(labels: list[str], most: int = 4) -> str:
    """The first elements of a path in their order; the rest counted, so a row stays readable."""
    shown = ", ".join(labels[:most])
    return shown if len(labels) <= most else f"{shown} en nog {len(labels) - most}"


def _where(exc: EngineError) -> str:
    """The element the engine stopped at (a gateway whose condition failed), when it says so."""
    task = getattr(exc.__cause__, "task", None)
    spec = getattr(task, "task_spec", None)
    if spec is None or not getattr(spec, "bpmn_id", None) or spec.bpmn_id in str(exc):
        return ""
    return f" (bij {_label(spec.bpmn_id, spec.bpmn_name)})"


def _check_element(index: _Index, run: Run, event):
    """Whether the recorded act can happen in the new version here; the ready task it completes."""
    data = event.data or {}
    if event.type == "task_completed":
        bpmn_id = event.task_bpmn_id
        if bpmn_id not in index.names:
            raise _Differs(ELEMENT_GONE, f"Taak {_label(bpmn_id, data.get('task'))} is afgerond, maar bestaat "
                                         "niet meer in de nieuwe versie.")
        info = find_ready(run, event)
        if info is None:
            ready = sorted({_label(t.bpmn_id, t.name) for t in run.ready_user_tasks()})
            now_open = f"open waren daar: {', '.join(ready)}" if ready else "daar stond geen taak open"
            raise _Differs(OTHER_PATH, f"Taak {_label(bpmn_id, data.get('task'))} is afgerond, maar stond in de "
                                       f"nieuwe versie op dat moment niet open ({now_open}).")
        return info
    if event.type == "message_delivered":
        name = data.get("message")
        if name not in index.messages:
            raise _Differs(ELEMENT_GONE, f"Het bericht '{name}' is ontvangen, maar de nieuwe versie heeft geen "
                                         "element meer dat erop wacht.")
        if name not in run.waiting_messages():
            raise _Differs(OTHER_PATH, f"Het bericht '{name}' is ontvangen, maar de nieuwe versie wachtte er op dat "
                                       "moment niet op.")
        return None
    if event.type == "timer_fired":
        for step in data.get("steps") or []:
            if step.get("type") in _TIMER_STEP_TYPES and step.get("bpmn_id") not in index.names:
                raise _Differs(ELEMENT_GONE, f"De termijn {_label(step.get('bpmn_id'), step.get('name'))} is "
                                             "verlopen, maar bestaat niet meer in de nieuwe versie.")
    return None


def _compare_end(index: _Index, run: Run, instance, open_tasks: list[str]) -> None:
    """After the whole history: the same end, the same open tasks, the same awaited messages."""
    if instance.status == "completed" or run.completed:
        recorded_end, new_end = instance.eindstatus, run.end_state()
        if instance.status != "completed":
            raise _Differs(OTHER_PATH, f"In de nieuwe versie zou de procedure al afgelopen zijn "
                                       f"(eind '{new_end or '-'}'); vastgelegd is dat ze nog loopt.")
        if not run.completed:
            still = sorted({_label(t.bpmn_id, t.name) for t in run.ready_user_tasks()})
            waits = f"; open: {', '.join(still)}" if still else ""
            raise _Differs(OTHER_PATH, f"De procedure is afgelopen (eind '{recorded_end or '-'}'), maar loopt in de "
                                       f"nieuwe versie nog{waits}.")
        if recorded_end != new_end:
            raise _Differs(OTHER_PATH, f"De procedure eindigt in de nieuwe versie in '{new_end or '-'}' in plaats "
                                       f"van '{recorded_end or '-'}'.")
        return
    gone = sorted({t for t in open_tasks if t not in index.names})
    if gone:
        raise _Differs(ELEMENT_GONE, f"De casus wacht op taak {', '.join(map(index.label, gone))}, die niet meer "
                                     "bestaat in de nieuwe versie.")
    recorded = Counter(open_tasks)
    ready = run.ready_user_tasks()
    new = Counter(t.bpmn_id for t in ready)
    if recorded != new:
        names = {t.bpmn_id: t.name for t in ready}
        new_text = ", ".join(sorted(_label(i, names[i]) for i in new)) or "geen"
        old_text = ", ".join(sorted(map(index.label, recorded))) or "geen"
        raise _Differs(OTHER_PATH, f"Open taken in de nieuwe versie: {new_text}; vastgelegd: {old_text}.")
    recorded_messages, new_messages = set(instance.waiting_messages or []), set(run.waiting_messages())
    if recorded_messages != new_messages:
        missing = sorted(recorded_messages - index.messages)
        if missing:
            raise _Differs(ELEMENT_GONE, f"De casus wacht op het bericht '{missing[0]}', dat de nieuwe versie niet "
                                         "meer kent.")
        raise _Differs(OTHER_PATH, f"De nieuwe versie wacht op de berichten {sorted(new_messages) or 'geen'}; "
                                   f"vastgelegd: {sorted(recorded_messages) or 'geen'}.")


def _replay_instance(ctx: Context, spec, subprocess_specs, index: _Index, instance, events, open_tasks):
    """(outcome, seq of the event where it differs, detail) for one instance on the new spec."""
    run: Run | None = None
    event = None
    for event in events:
        try:
            with clock_mod.active(clock_mod.FixedClock(event.at)):
                if event.type == "instance_started":
                    run, steps = ctx.runtime.start(spec, subprocess_specs, (event.data or {})["data"])
                    run.outgoing()
                elif run is None:
                    return FAILED, event.seq, "De geschiedenis begint niet met de start van de procedure."
                else:
                    info = _check_element(index, run, event)
                    steps = apply_event(run, event, info)
                _compare_steps(event, steps.steps)
        except _Differs as exc:
            return exc.outcome, event.seq, exc.detail
        except EngineError as exc:
            return FAILED, event.seq, f"{_moment_title(event)} stopt de nieuwe versie{_where(exc)}: {exc}"
        except KeyError as exc:
            return FAILED, event.seq, f"{_moment_title(event)} ontbreekt het gegeven {exc} " \
                                      "in de nieuwe versie."
        except Exception as exc:  # noqa: BLE001 - a process owner gets one Dutch line, developers the log
            log.exception("deploy preview: instance %s, event %s", instance.id, event.seq)
            return FAILED, event.seq, f"{_moment_title(event)} stopt de nieuwe versie " \
                                      f"onverwacht ({type(exc).__name__})."
    if run is None:
        return FAILED, None, "Van deze procesinstantie is geen start vastgelegd."
    try:
        _compare_end(index, run, instance, open_tasks)
    except _Differs as exc:
        return exc.outcome, event.seq if event is not None else None, exc.detail
    except EngineError as exc:
        return FAILED, event.seq if event is not None else None, f"Na de laatste gebeurtenis: {exc}"
    return SAME, None, ""


def preview_process(ctx: Context, session: Session, process_id: str, spec, subprocess_specs) -> Preview:
    """Replay every recorded instance of `process_id` on the new spec; the ones that would differ."""
    started = time.perf_counter()
    index = _Index.of(spec, subprocess_specs)
    instances = session.execute(
        select(ProcessInstance.id, ProcessInstance.case_id, ProcessInstance.status, ProcessInstance.eindstatus,
               ProcessInstance.waiting_messages, Case.referentie, Case.status.label("case_status"))
        .join(Case, Case.id == ProcessInstance.case_id)
        .where(ProcessInstance.process_id == process_id).order_by(ProcessInstance.id)
    ).all()
    # Two queries for all instances instead of two per instance: a thousand cases stay cheap.
    events: dict[int, list] = defaultdict(list)
    for row in session.execute(
        select(Event.instance_id, Event.seq, Event.type, Event.task_bpmn_id, Event.at, Event.data)
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .where(ProcessInstance.process_id == process_id, Event.type.in_(ENGINE_EVENTS))
        .order_by(Event.instance_id, Event.seq)
    ):
        events[row.instance_id].append(row)
    open_tasks: dict[int, list[str]] = defaultdict(list)
    for instance_id, bpmn_id in session.execute(
        select(HumanTask.instance_id, HumanTask.bpmn_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(ProcessInstance.process_id == process_id, HumanTask.state == "open")
    ):
        open_tasks[instance_id].append(bpmn_id)

    preview = Preview(process_id=process_id, cases=len(instances))
    for instance in instances:
        outcome, at_event, detail = _replay_instance(ctx, spec, subprocess_specs, index, instance,
                                                     events.get(instance.id, []), open_tasks.get(instance.id, []))
        if outcome != SAME:
            preview.rows.append(PreviewRow(
                case_id=instance.case_id, referentie=instance.referentie, instance_id=instance.id,
                status_case="afgesloten" if instance.case_status == "afgesloten" else "open",
                outcome=outcome, at_event=at_event, detail=detail))
    preview.seconds = time.perf_counter() - started
    return preview


def preview_tree(ctx: Context, tree, session: Session | None = None) -> list[Preview]:
    """A preview for every procedure of the bundle `tree` (Service.source_tree) whose deploy would
    give a procedure already in use another version; nothing is deployed. A refused bundle raises
    DeployRefused, as the deploy itself would. Without `session`, in a reading session of its own."""
    from . import deploy

    if session is None:
        with ctx.reading() as own:
            return preview_tree(ctx, tree, own)
    bundles = deploy.parse_tree(tree)
    changing = {item.process_id for item in deploy.plan(session, tree, bundles)
                if item.status in ("gewijzigd", "gelijk_aan_oudere")}
    return [preview_process(ctx, session, b.process_id, b.spec, b.subprocess_specs)
            for b in bundles if b.process_id in changing]
