"""Playback of a case for the auditor: the case at every recorded event, as replay reproduces it.

The events are re-applied exactly as the auditor's replay does (replay.replay_events, at each
event's recorded clock time, each checked against its hash and recorded state fingerprint). After
every event a frame holds, per process instance, the elements done so far (the completed path),
the elements running or waiting (the tokens) and the data the process held; and the values that
event entered. Events the engine does not see (claims, reassignments, a late reaction, repairs)
get a frame too, with the state as it was. Where replay cannot reproduce an event, the frames stop
before it and `reason` says why: what follows is not shown as if it were proven.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from app.engine.runtime import Run
from app.formdefs import FormDefinitionError, FormField
from persistence.models import Case, Event, ProcessInstance, ProcessVersion

from .case_view import _called_version
from .context import Context, get_or_404
from .corrections import EVENT as CORRECTED
from .form_values import Value
from .replay import MIGRATED, Diverged, replay_events
from .timeline import Change, timeline
from .veiligheidskaart import LATE_EVENT


@dataclass
class DiagramFrame:
    process_id: str
    process_version_id: int
    completed: list[str]  # BPMN ids done so far: the completed path
    active: list[str]  # BPMN ids running or waiting: the tokens


@dataclass
class InstanceFrame:
    instance_id: int
    process_id: str
    process_version_id: int
    version: int
    name: str | None
    finished: bool
    diagrams: list[DiagramFrame]  # its own diagram, then the called processes it reached
    data: dict  # the process data after the event

    def completed(self, process_id: str | None = None) -> set[str]:
        return {b for d in self.diagrams if process_id in (None, d.process_id) for b in d.completed}

    def active(self, process_id: str | None = None) -> set[str]:
        return {b for d in self.diagrams if process_id in (None, d.process_id) for b in d.active}


@dataclass
class Frame:
    seq: int
    at: str  # RFC 3339, with seconds
    type: str
    actor: str
    actor_name: str
    label: str  # what happened, in the timeline's words
    instances: list[InstanceFrame]
    entered: dict  # the values this event entered (a form, a message, a correction)
    values: list[Value]  # those values labelled by the form they were entered in
    changes: list[Change]  # a correction's before and after
    instance_id: int | None = None  # the instance the event belongs to
    element: str | None = None  # the BPMN id of the task the event is about


@dataclass
class Playback:
    case_id: int
    frames: list[Frame]
    events: int  # events recorded; more than frames when replay stopped
    diverged_at: int | None = None  # seq of the event replay could not reproduce
    reason: str | None = None
    versions: dict[int, ProcessVersion] = field(default_factory=dict)  # every diagram a frame names
    fields: dict[str, FormField] = field(default_factory=dict)  # data key -> the form field that asks it


def playback(ctx: Context, session: Session, case_id: int) -> Playback:
    get_or_404(session, Case, case_id, "Casus")
    history = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
    instances = {i.id: i for i in session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id))}
    # The timeline words each event and labels its values by the form of the version run then.
    entries = {e.seq: e for e in timeline(ctx, session, case_id) if e.seq is not None}
    result = Playback(case_id, [], len(history))
    runs: dict[int, Run] = {}
    marks: dict[int, set[tuple[str, str]]] = {}  # instance id -> (process id, BPMN id) done
    current: dict[int, ProcessVersion] = {}  # instance id -> the version it runs on at this point
    called: dict[tuple[int, str], ProcessVersion | None] = {}  # (caller version id, process id) -> its version
    try:
        for replayed in replay_events(ctx, session, history, runs):
            event = replayed.event
            data = event.data or {}
            if event.type == "instance_started":
                current[event.instance_id] = session.get(ProcessVersion, data["process_version_id"])
            elif event.type == MIGRATED:
                current[event.instance_id] = session.get(ProcessVersion, data["naar_version_id"])
            done = marks.setdefault(event.instance_id, set()) if event.instance_id else set()
            if event.type == "task_completed":
                done.add((data.get("process_id"), event.task_bpmn_id))
            for step in replayed.log.steps if replayed.log else ():
                if step["bpmn_id"]:
                    done.add((step["process_id"], step["bpmn_id"]))
            entry = entries[event.seq]
            result.frames.append(Frame(
                seq=event.seq, at=_rfc3339(event), type=event.type, actor=event.actor, actor_name=entry.actor_name,
                label=entry.title, entered=_entered(event), values=entry.values, changes=entry.changes,
                instance_id=event.instance_id, element=event.task_bpmn_id,
                instances=[_instance_frame(session, result, called, instances[iid], current[iid], runs[iid],
                                           marks.get(iid, set())) for iid in sorted(runs) if iid in current],
            ))
    except Diverged as exc:
        result.diverged_at = exc.event.seq
        result.reason = (f"Gebeurtenis {exc.event.seq} ({entries[exc.event.seq].title} op "
                         f"{exc.event.at.astimezone(TZ).strftime('%d-%m-%Y %H:%M:%S')}) kon bij het opnieuw afspelen niet "
                         f"worden nagespeeld: {exc.reason}. Wat daarna gebeurde is hier niet te zien.")
    for version in {v.id: v for v in current.values()}.values():
        _collect_fields(ctx, session, version, result.fields)
    return result


def _instance_frame(session: Session, result: Playback, called: dict, instance: ProcessInstance,
                    version: ProcessVersion, run: Run, done: set[tuple[str, str]]) -> InstanceFrame:
    active = run.active_elements() if not run.completed else set()
    reached = done | active
    diagrams = []
    for process_id in [version.process_id] + [p for p in version.called_processes or [] if any(pid == p for pid, _ in reached)]:
        if process_id == version.process_id:
            pv = version
        else:
            if (version.id, process_id) not in called:  # one query per version and called process, not per frame
                called[version.id, process_id] = _called_version(session, version, process_id)
            pv = called[version.id, process_id]
        if pv is None:
            continue
        result.versions[pv.id] = pv
        diagrams.append(DiagramFrame(process_id, pv.id, sorted(b for p, b in done if p == process_id),
                                     sorted(b for p, b in active if p == process_id)))
    return InstanceFrame(instance.id, version.process_id, version.id, version.version, version.name, run.completed,
                         diagrams, json.loads(json.dumps(run.current_data(), default=str)))


def _entered(event: Event) -> dict:
    data = event.data or {}
    if event.type in ("instance_started", "task_completed", "message_delivered", LATE_EVENT):
        return dict(data.get("data") or {})
    if event.type == CORRECTED:
        return {data.get("veld"): data.get("na")}
    return {}


def _rfc3339(event: Event) -> str:
    return event.at.astimezone(timezone.utc).isoformat(timespec="seconds")


def _collect_fields(ctx: Context, session: Session, version: ProcessVersion, fields: dict[str, FormField]) -> None:
    """The form fields of `version`'s bundle by data key: the labels the auditor reads the data by."""
    forms = ctx.bundle_of(session, version).forms
    for key in forms.keys():
        try:
            definition = forms.get(key)
        except FormDefinitionError:
            continue
        for spec in definition.fields:
            fields.setdefault(spec.name, spec)
