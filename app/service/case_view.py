"""Everything the case page shows, gathered in one read transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from persistence.models import Case, CaseMember, Event, HumanTask, ProcessInstance, ProcessVersion, User

from .access import require_case
from .context import Context
from .inbox import soon_limit, urgency
from .instances import load_run
from .waiting import deadline_label

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@dataclass
class DiagramView:
    process_id: str
    name: str | None
    version: int | None
    xml: str
    completed: list[str]
    active: list[str]
    # End events that signal a missed deadline (escalation): reached, but no work was finished there.
    signalled: list[str] = field(default_factory=list)


@dataclass
class InstanceView:
    instance: ProcessInstance
    version: ProcessVersion
    diagrams: list[DiagramView]
    path: object = None  # insight.conformance.PathCheck: does the path follow its version?


@dataclass
class CaseView:
    case: Case
    instances: list[InstanceView]
    open_tasks: list[tuple[HumanTask, str | None]]
    deadlines: list[tuple[datetime, str, str | None]]  # (moment, what, urgency)
    history: list[Event]
    members: list[CaseMember]
    outcomes: list[str] = field(default_factory=list)
    problems: int = 0  # open incidents of the case


def _called_version(session: Session, caller: ProcessVersion, process_id: str) -> ProcessVersion | None:
    """The version of a called process as deployed with `caller`: its content, deployed with it or
    before it (a later version with the same content, e.g. after a revert, is not what the case ran)."""
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                         ProcessVersion.deployed_at <= caller.deployed_at)
    sha = (caller.called_sha256 or {}).get(process_id)
    if sha:
        query = query.where(ProcessVersion.sha256 == sha)
    order = [ProcessVersion.deployed_at.desc(), ProcessVersion.version.desc()]
    if caller.deployment_id:
        order.insert(0, (ProcessVersion.deployment_id == caller.deployment_id).desc())
    return session.scalars(query.order_by(*order).limit(1)).first()


@lru_cache(maxsize=128)
def escalation_ends(xml: str) -> frozenset[str]:
    """The ids of the end events in a diagram that raise an escalation (a deadline that passed)."""
    root = ElementTree.fromstring(xml.encode("utf-8"))
    return frozenset(end.get("id") for end in root.iter(f"{BPMN}endEvent")
                     if end.find(f"{BPMN}escalationEventDefinition") is not None)


def case_view(ctx: Context, session: Session, user: User, case_id: int) -> CaseView:
    case = require_case(session, user, case_id)
    history = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
    tasks = session.scalars(
        select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "open")
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    ).all()
    now = ctx.now()
    soon = soon_limit(ctx, now)
    open_tasks = [(t, urgency(ctx, t, now, soon)) for t in tasks]

    done: dict[int, set[tuple[str, str]]] = {}
    outcomes = []
    for event in history:
        marks = done.setdefault(event.instance_id, set())
        if event.type == "task_completed":
            marks.add((event.data.get("process_id"), event.task_bpmn_id))
        for step in event.data.get("steps", []):
            if step["bpmn_id"]:
                marks.add((step["process_id"], step["bpmn_id"]))
            if step["type"] == "EndEvent" and (step["bpmn_id"] or "").startswith("Eind_"):
                outcomes.append(step["bpmn_id"][len("Eind_"):])

    instances, deadlines = [], []
    for instance in session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case_id).order_by(ProcessInstance.id)
    ):
        version = instance.process_version
        run = load_run(ctx, instance) if instance.status == "running" else None
        active = run.active_elements() if run else set()
        marks = done.get(instance.id, set())
        shown = [version.process_id] + [p for p in version.called_processes
                                        if any(pid == p for pid, _ in marks | active)]
        diagrams = []
        for process_id in shown:
            pv = version if process_id == version.process_id else _called_version(session, version, process_id)
            if pv is None:
                continue
            reached = {b for p, b in marks if p == process_id}
            signals = reached & escalation_ends(pv.xml)  # not green: the task it warns about may still be open
            diagrams.append(DiagramView(
                process_id=process_id, name=pv.name, version=pv.version, xml=pv.xml,
                completed=sorted(reached - signals),
                active=sorted(b for p, b in active if p == process_id),
                signalled=sorted(signals),
            ))
        instances.append(InstanceView(instance, version, diagrams))
        if run and instance.next_timer_at:  # each date by its name in the diagram, not "a term in P3"
            deadlines += [(w.due_at, deadline_label(w), "verlopen" if w.due_at < now else None)
                          for w in run.waits() if w.due_at]
    deadlines += [(t.due_at, t.name, u) for t, u in open_tasks if t.due_at]
    deadlines.sort(key=lambda d: d[0])
    members = session.scalars(select(CaseMember).where(CaseMember.case_id == case_id)).all()
    from .incidents import open_count
    from .insight.conformance import case_paths

    paths = case_paths(ctx, session, case_id, history)
    for item in instances:
        item.path = paths.get(item.instance.id)

    # A missed deadline is a signal (the case's "signalering"), not an end the case reached.
    signalled = {b for item in instances for d in item.diagrams for b in d.signalled}
    outcomes = [o for o in outcomes if f"Eind_{o}" not in signalled]
    return CaseView(case, instances, open_tasks, deadlines, history, members, outcomes, open_count(session, case_id))
