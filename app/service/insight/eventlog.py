"""Event logs for process mining: one trace per run of a procedure, read from the event log.

A trace is one run of the procedure: a case's top-level instance of it, or a call activity that
runs it inside another procedure (P3 runs inside P0). Its events are what a process-mining tool
counts as steps: every completed user task, send task, message, timer and end event, each with
its lifecycle (complete), moment and resource (the role; a person's name only when asked and
allowed). Called processes are flattened into the trace, their steps prefixed with the call
activity's name ("Gesprek organiseren / Moment plannen"). Case attributes are the gemeente and the
maatregel: no names, birth dates or free text. Repairs are counted on the trace, not drawn as
steps: they are no element of the diagram.

The recorded steps name their diagram (process id) but not the call activity they ran under, so
the call path is recovered while walking a case's history (`_Calls`): a called process's start
event opens a run under the one call activity of its parent that is running, the call activity's
completion closes it. That is exact unless two call activities run the same diagram at once.

Cases are read in batches (`BATCH`), so 10,000 cases stream in bounded memory; the serializers
(xes.py, ocel.py, csvlog.py) write as the traces come.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from persistence.models import Case, Event, HumanTask, ProcessInstance, ProcessVersion, User, VkVersie

from ..context import Context
from ..errors import InvalidInput

FORMATS = ("xes", "ocel", "csv")
BATCH = 500  # root instances read per round
SYSTEM_RESOURCE = "systeem"
PREFIX_SEPARATOR = " / "

# What a process-mining tool sees as a step, by the kind of element (see _kind).
TASK, SEND, MESSAGE, TIMER, END = "taak", "verzending", "bericht", "termijn", "einde"
KINDS = (TASK, SEND, MESSAGE, TIMER, END)
REPAIRS = {"verplaatst": "verplaatsing", "gegevens_gecorrigeerd": "correctie", "reparatie": "reparatie",
           "gemigreerd": "migratie"}


@dataclass(frozen=True)
class Element:
    name: str
    kind: str | None  # one of KINDS, or None for what is not logged (gateways, plain start events, ...)
    role: str | None = None
    start: bool = False  # a start event of the diagram itself (not of an embedded sub-process)
    signal: bool = False  # an escalation end: a soft deadline's signal, not the outcome


@dataclass
class LogEvent:
    activity: str  # the element's name, prefixed with the call activities it ran under
    element: str  # BPMN id
    process_id: str  # the diagram it belongs to
    kind: str
    at: datetime
    resource: str  # the role (or the person's name when asked and allowed)
    role: str
    seq: int  # the event in the case's history
    task_id: int | None = None  # the human task, for a user task
    lifecycle: str = "complete"


@dataclass
class Trace:
    id: str
    case_id: int
    referentie: str
    process_id: str
    version: int
    gemeente: str | None
    maatregel: str | None
    started_at: datetime
    ended: bool = False
    end_state: str | None = None
    repairs: list[str] = field(default_factory=list)
    events: list[LogEvent] = field(default_factory=list)
    vk_versions: list = field(default_factory=list)  # (versie, status, op, event_seq) of the case's card


@dataclass(frozen=True)
class Query:
    procedure: str
    van: date | None = None
    tot: date | None = None
    met_namen: bool = False

    def keeps(self, moment: datetime) -> bool:
        day = moment.astimezone(TZ).date()
        return (self.van is None or day >= self.van) and (self.tot is None or day <= self.tot)


# --- input -------------------------------------------------------------------------------


def parse_day(value: str | None, label: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"Ongeldige datum '{value}' bij {label}: gebruik JJJJ-MM-DD, bijvoorbeeld 2026-01-31.",
                           {}) from None


def procedures(session: Session) -> list[str]:
    return sorted(session.scalars(select(ProcessVersion.process_id).distinct()))


def make_query(session: Session, procedure: str | None, fmt: str | None, van: str | None, tot: str | None,
               met_namen: bool = False, *, van_label: str = "van", tot_label: str = "tot") -> Query:
    """The export asked for, or InvalidInput in Dutch (unknown procedure or format, a bad date)."""
    procedure = (procedure or "").strip()
    known = procedures(session)
    if procedure not in known:
        raise InvalidInput(f"Onbekende procedure '{procedure}'. Bekend: {', '.join(known) or 'geen'}.",
                           {})
    if fmt not in FORMATS:
        raise InvalidInput(f"Onbekend formaat '{fmt}': kies xes, ocel of csv.", {})
    first, last = parse_day(van, van_label), parse_day(tot, tot_label)
    if first and last and first > last:
        raise InvalidInput(f"De begindatum {first.isoformat()} ligt na de einddatum {last.isoformat()}.",
                           {})
    return Query(procedure, first, last, met_namen)


# --- the diagrams --------------------------------------------------------------------------


def _kind(task_spec) -> str | None:
    kind = type(task_spec).__name__
    definition = type(getattr(task_spec, "event_definition", None)).__name__
    if "UserTask" in kind or "ManualTask" in kind:
        return TASK
    if "SendTask" in kind:
        return SEND
    if "EndEvent" in kind:
        return END
    if "Timer" in definition or "TimeDate" in definition or "Duration" in definition or "Cycle" in definition:
        return TIMER if "Event" in kind else None
    if "Message" in definition:
        return SEND if "Throw" in kind else MESSAGE
    if "ReceiveTask" in kind:
        return MESSAGE
    return None


class VersionMap:
    """One deployed version as the log reads it: each element by (diagram, BPMN id), and the call
    paths (tuples of call-activity ids from the top) that run each diagram."""

    def __init__(self, spec, subs: dict):
        self.root = spec.name
        self.elements: dict[tuple[str, str], Element] = {}
        self.called: dict[tuple[str, str], str] = {}  # (diagram, call activity id) -> called diagram
        self.names: dict[tuple[str, str], str] = {}  # (diagram, call activity id) -> its name
        self._choices: dict[tuple[str, str], str | None] = {}
        by_name = {spec.name: spec, **subs}
        # Embedded sub-processes come from the file of the process around them; the engine reports
        # their elements as that process's (runtime._process_of), and so does the log.
        embedded = {ts.spec for s in by_name.values() for ts in s.task_specs.values()
                    if type(ts).__name__ == "CallActivity" and ts.spec in by_name
                    and by_name[ts.spec].file == s.file}
        diagram_of_file = {s.file: name for name, s in by_name.items() if name not in embedded}
        for name, sub in by_name.items():
            diagram = diagram_of_file.get(sub.file, name)
            for ts in sub.task_specs.values():
                if not getattr(ts, "bpmn_id", None):
                    continue
                groups = (getattr(ts, "extensions", None) or {}).get("candidateGroups") or []
                kind = _kind(ts)
                self.elements[(diagram, ts.bpmn_id)] = Element(
                    ts.bpmn_name or ts.bpmn_id, kind, groups[0] if groups else None,
                    start=(name == diagram and type(ts).__name__ == "StartEvent"),
                    signal=kind == END and "Escalation" in type(getattr(ts, "event_definition", None)).__name__)
                if type(ts).__name__ == "EventBasedGateway":
                    self._gateway_choices(diagram, ts)
                if type(ts).__name__ == "CallActivity" and ts.spec in by_name and ts.spec not in embedded:
                    self.called[(diagram, ts.bpmn_id)] = ts.spec
                    self.names[(diagram, ts.bpmn_id)] = ts.bpmn_name or ts.bpmn_id
        for key, kind in self._choices.items():
            if key in self.elements:
                self.elements[key] = dataclasses.replace(self.elements[key], kind=kind)
        self.paths: dict[str, list[tuple]] = {}
        self._walk(self.root, ())
        self._prefixes: dict[tuple, str] = {}

    def _gateway_choices(self, diagram: str, gateway) -> None:
        """SpiffWorkflow moves the catch events' definitions after an event-based gateway into the
        gateway (in the order of its outputs): the message or timer is named by its own event."""
        definitions = getattr(gateway.event_definition, "event_definitions", None) or []
        for definition, target in zip(definitions, gateway.outputs):
            name = type(definition).__name__
            kind = MESSAGE if "Message" in name else TIMER if ("Time" in name or "Duration" in name
                                                               or "Cycle" in name) else None
            self._choices[(diagram, target.bpmn_id)] = kind

    def _walk(self, diagram: str, path: tuple) -> None:
        self.paths.setdefault(diagram, []).append(path)
        if len(path) > 8:  # a diagram that calls itself: stop
            return
        for (caller, activity), target in self.called.items():
            if caller == diagram:
                self._walk(target, path + (activity,))

    def diagram(self, path: tuple) -> str:
        diagram = self.root
        for activity in path:
            diagram = self.called[(diagram, activity)]
        return diagram

    def prefix(self, base: tuple, path: tuple) -> str:
        """The names of the call activities of `path` below `base`, each followed by the separator."""
        key = (base, path)
        if key not in self._prefixes:
            diagram, names = self.diagram(base), []
            for activity in path[len(base):]:
                names.append(self.names[(diagram, activity)])
                diagram = self.called[(diagram, activity)]
            self._prefixes[key] = "".join(n + PREFIX_SEPARATOR for n in names)
        return self._prefixes[key]


class _Maps:
    def __init__(self, ctx: Context, session: Session):
        self.ctx, self.session = ctx, session
        self.cache: dict[int, VersionMap] = {}
        self.numbers: dict[int, int] = {}

    def get(self, version_id: int) -> VersionMap:
        found = self.cache.get(version_id)
        if found is None:
            version = self.session.get(ProcessVersion, version_id)
            spec, subs = self.ctx.specs.get(version)
            found = self.cache[version_id] = VersionMap(spec, subs)
            self.numbers[version_id] = version.version
        return found


def roots_of(session: Session, procedure: str) -> list[str]:
    """The diagrams whose instances can run `procedure`: itself and every one that calls it."""
    rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.called_processes)).all()
    return sorted({pid for pid, called in rows if pid == procedure or procedure in (called or [])})


# --- walking a case's history ------------------------------------------------------------


class _Calls:
    """Which run of which call path each recorded step belongs to (see the module's docstring)."""

    def __init__(self, vmap: VersionMap):
        self.vmap = vmap
        self.open: set[tuple] = {()}
        self.runs: dict[tuple, int] = {(): 1}  # path -> number of its latest run

    def place(self, diagram: str, element: Element | None) -> tuple | None:
        candidates = self.vmap.paths.get(diagram) or []
        live = [p for p in candidates if p[:-1] in self.open]
        if element is not None and element.start:
            fresh = [p for p in live if p not in self.open]
            if fresh:
                self.open.add(fresh[0])
                self.runs[fresh[0]] = self.runs.get(fresh[0], 0) + 1
                return fresh[0]
        running = [p for p in live if p in self.open]
        return (running or live or candidates or [None])[0]

    def close(self, path: tuple) -> None:
        self.open.discard(path)

    def run_key(self, path: tuple) -> tuple:
        return tuple(self.runs.get(path[:i + 1], 0) for i in range(len(path)))


@dataclass
class _Source:
    """What one batch of root instances needs besides the events."""

    roles: dict[int, tuple[str | None, str | None]]  # human task -> (role, completed_by)
    names: dict[str, str]


class _Builder:
    """The traces of `query.procedure` in one root instance's history."""

    def __init__(self, query: Query, maps: _Maps, source: _Source, case, instance):
        self.query, self.maps, self.source, self.case, self.instance = query, maps, source, case, instance
        self.vmap: VersionMap | None = None
        self.calls: _Calls | None = None
        self.version_id = instance.process_version_id
        self.traces: dict[tuple, Trace] = {}  # (run path, run numbers) -> trace
        self.order: list[Trace] = []

    def feed(self, event) -> None:
        data = event.data or {}
        if event.type == "instance_started":
            self.version_id = data.get("process_version_id") or self.version_id
            self.vmap = self.maps.get(self.version_id)
            self.calls = _Calls(self.vmap)
        if self.vmap is None:
            return
        if event.type == "gemigreerd" and data.get("naar_version_id"):
            # The same call paths on the new version (a migration keeps the running call activities).
            self.version_id = data["naar_version_id"]
            self.vmap = self.calls.vmap = self.maps.get(self.version_id)
        if event.type in REPAIRS:
            for trace in self.order:
                if not trace.ended:
                    trace.repairs.append(REPAIRS[event.type])
        if event.type == "task_completed" and event.task_bpmn_id:
            self._step(event, data.get("process_id") or self.vmap.root, event.task_bpmn_id, event.human_task_id)
        for step in data.get("steps") or ():
            if step.get("bpmn_id"):
                self._step(event, step.get("process_id") or self.vmap.root, step["bpmn_id"], None,
                           step.get("type") == "CallActivity")

    def finish(self, completed: bool, end_state: str | None) -> list[Trace]:
        root = self.traces.get(((), ()))
        if root is not None and completed:
            root.ended, root.end_state = True, end_state
        return self.order

    def _step(self, event, diagram: str, bpmn_id: str, task_id, call_done: bool = False) -> None:
        element = self.vmap.elements.get((diagram, bpmn_id))
        path = self.calls.place(diagram, element)
        if path is None or element is None:
            return
        target = self.query.procedure
        for depth in range(len(path) + 1):
            run_path = path[:depth]
            if self.vmap.diagram(run_path) != target:
                continue
            trace = self._trace(run_path, event, element)
            if trace is None or trace.ended:
                continue
            if element.kind is not None:
                trace.events.append(self._event(event, element, bpmn_id, diagram,
                                                self.vmap.prefix(run_path, path), task_id))
            if (element.kind == END and run_path == path and not element.signal and bpmn_id.startswith("Eind_")):
                trace.end_state = bpmn_id[len("Eind_"):]
        if call_done:  # the call activity completed: the run under it ends
            called = path + (bpmn_id,)
            trace = self.traces.get((called, self.calls.run_key(called)))
            if trace is not None:
                trace.ended = True
            self.calls.close(called)

    def _trace(self, run_path: tuple, event, element: Element) -> Trace | None:
        key = (run_path, self.calls.run_key(run_path))
        trace = self.traces.get(key)
        if trace is None:
            suffix = "".join(f"/{a}.{n}" for a, n in zip(run_path, key[1]))
            trace = Trace(id=f"{self.case.referentie}/{self.instance.id}{suffix}", case_id=self.case.id,
                          referentie=self.case.referentie, process_id=self.query.procedure,
                          version=self.maps.numbers.get(self.version_id, 0), gemeente=self.case.gemeente,
                          maatregel=self.case.maatregel, started_at=event.at)
            self.traces[key] = trace
            self.order.append(trace)
        return trace

    def _event(self, event, element: Element, bpmn_id: str, diagram: str, prefix: str, task_id) -> LogEvent:
        role, person = (element.role if element.kind == TASK else None), None
        if task_id is not None:
            recorded_role, person = self.source.roles.get(task_id, (None, None))
            role = recorded_role or role
        role = role or SYSTEM_RESOURCE
        resource = role
        if self.query.met_namen and element.kind == TASK:
            person = person or event.actor
            resource = self.source.names.get(person, person) if person else role
        return LogEvent(activity=prefix + element.name, element=bpmn_id, process_id=diagram, kind=element.kind,
                        at=event.at, resource=resource, role=role, seq=event.seq, task_id=task_id)


_EVENT_COLUMNS = (Event.case_id, Event.seq, Event.instance_id, Event.type, Event.task_bpmn_id,
                  Event.human_task_id, Event.actor, Event.at, Event.data)


def traces(ctx: Context, session: Session, query: Query, *, with_cards: bool = False) -> Iterator[Trace]:
    """Every trace of `query.procedure` (runs that started between van and tot), case by case."""
    maps = _Maps(ctx, session)
    roots = roots_of(session, query.procedure)
    names = dict(session.execute(select(User.username, User.naam)).all()) if query.met_namen else {}
    where = [ProcessInstance.process_id.in_(roots)]
    if query.van is not None:  # a run starts within its instance: one that ended before van has none
        start = datetime.combine(query.van, time.min, TZ)
        where.append((ProcessInstance.completed_at.is_(None)) | (ProcessInstance.completed_at >= start))
    if query.tot is not None:
        where.append(ProcessInstance.started_at < datetime.combine(query.tot + timedelta(days=1), time.min, TZ))
    last_id = 0
    while True:
        batch = session.execute(select(ProcessInstance.id, ProcessInstance.case_id, ProcessInstance.process_id,
                                       ProcessInstance.process_version_id, ProcessInstance.completed_at,
                                       ProcessInstance.eindstatus)
                                .where(ProcessInstance.id > last_id, *where)
                                .order_by(ProcessInstance.id).limit(BATCH)).all()
        if not batch:
            return
        last_id = batch[-1].id
        ids = [row.id for row in batch]
        case_ids = sorted({row.case_id for row in batch})
        cases = {c.id: c for c in session.execute(
            select(Case.id, Case.referentie, Case.gemeente, Case.maatregel).where(Case.id.in_(case_ids))).all()}
        roles = {r.id: (r.role, r.completed_by) for r in session.execute(
            select(HumanTask.id, HumanTask.role, HumanTask.completed_by).where(HumanTask.instance_id.in_(ids))).all()}
        cards: dict[int, list] = {}
        if with_cards:
            for row in session.execute(select(VkVersie.case_id, VkVersie.versie, VkVersie.status, VkVersie.op,
                                              VkVersie.event_seq).where(VkVersie.case_id.in_(case_ids))
                                       .order_by(VkVersie.case_id, VkVersie.versie)).all():
                cards.setdefault(row.case_id, []).append((row.versie, row.status, row.op, row.event_seq))
        source = _Source(roles, names)
        history: dict[int, list] = {i: [] for i in ids}
        for event in session.execute(select(*_EVENT_COLUMNS).where(Event.instance_id.in_(ids))
                                     .order_by(Event.instance_id, Event.seq)).all():
            history[event.instance_id].append(event)
        for row in batch:
            builder = _Builder(query, maps, source, cases[row.case_id], row)
            for event in history[row.id]:
                builder.feed(event)
            for trace in builder.finish(row.completed_at is not None, row.eindstatus):
                if query.keeps(trace.started_at):
                    trace.vk_versions = cards.get(row.case_id, [])
                    yield trace
        session.expunge_all()


# --- the export as a whole ---------------------------------------------------------------


def export_name(query: Query, fmt: str) -> str:
    period = "".join(f"_{d.isoformat()}" if d else "_" for d in (query.van, query.tot)) if (query.van or query.tot) else ""
    extension = {"xes": "xes", "ocel": "json", "csv": "csv"}[fmt]
    return f"eventlog_{query.procedure}{period}.{extension}"


MEDIA_TYPES = {"xes": "application/xml", "ocel": "application/json", "csv": "text/csv"}


def write(ctx: Context, session: Session, query: Query, fmt: str) -> Iterator[str]:
    """The log in `fmt`, as chunks of text."""
    from . import csvlog, ocel, xes

    found = traces(ctx, session, query, with_cards=fmt == "ocel")
    if fmt == "xes":
        return xes.write(query, found)
    if fmt == "ocel":
        return ocel.write(query, found)
    return csvlog.write(found)


def access_note(query: Query, fmt: str) -> str:
    """What the access log records of an export (one row: the log names no persons)."""
    period = f" {query.van or '…'} t/m {query.tot or '…'}" if (query.van or query.tot) else ""
    names = " met namen" if query.met_namen else ""
    return f"eventlog-export {query.procedure} {fmt}{period}{names}"


def record_export(ctx: Context, actor: str, query: Query, fmt: str, client: str | None = None,
                  sessie: str | None = None) -> None:
    """The export in the access log (NEN 7513), before any of it is written."""
    from .. import access_log

    with ctx.transaction() as session:
        access_log.record(ctx, session, actor, [], access_note(query, fmt), client, sessie)
