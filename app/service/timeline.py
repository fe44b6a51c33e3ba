"""A case's timeline as an auditor reads it: every event with the values entered (labelled by the
form of the version the case ran on at that moment), the before and after of changes to case data
and to the Veiligheidskaart, repairs, reassignments, claims, messages, timers, the mails of the
case and the documents sent, each as its own kind with a Dutch label. Filters by procedure, person
and kind. Used by the case page, the API and the AVG export (`timeline(...)`, `Entry.as_dict()`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from app.formdefs import FormDefinitionError
from persistence.models import (
    Event,
    HumanTask,
    OutboxAttachment,
    OutboxMessage,
    ProcessInstance,
    ProcessVersion,
    User,
    VkVersie,
)

from . import mail_status
from . import veiligheidskaart as vk
from .context import Context
from .events import SYSTEM
from .form_values import EMPTY, Value, field_of, labelled, text_of, words
from .messages import FORM as MESSAGE_FORM

# {kind: Dutch label}, in the order the filter offers them.
KINDS = {
    "start": "Procedure gestart",
    "taak": "Taak afgerond",
    "claim": "Taak opgepakt of vrijgegeven",
    "overdracht": "Taak overgedragen",
    "bericht": "Bericht ontvangen",
    "termijn": "Termijn verstreken",
    "correctie": "Gegevens gecorrigeerd (reparatie)",
    "reparatie": "Opnieuw geprobeerd na een probleem (reparatie)",
    "verplaatsing": "Casus verplaatst (reparatie)",
    "migratie": "Gemigreerd naar een andere versie (reparatie)",
    "veiligheidskaart": "Veiligheidskaart gewijzigd",
    "mail": "Mail",
    "verzending": "Document verstuurd",
    "casus": "Casus afgesloten of heropend",
    "avg": "AVG-export gemaakt",
    "overig": "Overige gebeurtenis",
}
EVENT_KINDS = {
    "instance_started": "start", "task_completed": "taak", "task_claimed": "claim", "task_unclaimed": "claim",
    "task_reassigned": "overdracht", "message_delivered": "bericht", vk.LATE_EVENT: "bericht",
    "timer_fired": "termijn", "gegevens_gecorrigeerd": "correctie", "reparatie": "reparatie",
    "verplaatst": "verplaatsing", "gemigreerd": "migratie", "casus_afgesloten": "casus", "casus_heropend": "casus",
    "avg_export": "avg",
}
SEND_STATUS = {"niet_gedeeld": "niet gedeeld: geen toestemming"}
_EVENT_MAIL = re.compile(r"^\d+:(\d+):")  # a mail of an act: its dedup key starts with case:event seq:


@dataclass
class Change:
    label: str
    before: str
    after: str

    def as_dict(self) -> dict:
        return {"label": self.label, "before": self.before, "after": self.after}


@dataclass
class Entry:
    kind: str
    label: str  # the kind in Dutch
    title: str  # what happened, in one line
    at: datetime
    actor: str
    actor_name: str
    process_id: str | None = None
    type: str = ""  # the event type, or vk_versie / mail / vk_verzending
    seq: int | None = None  # the event's number in the case's history (None: not an event)
    instance_id: int | None = None
    task_id: int | None = None
    values: list[Value] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    event: Event | None = field(default=None, repr=False, compare=False)  # the recorded event, if one
    mail_id: int | None = field(default=None, repr=False, compare=False)
    _order: tuple = field(default=(), repr=False, compare=False)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "label": self.label, "title": self.title,
            "at": self.at.astimezone(TZ).isoformat(timespec="seconds"),
            "actor": self.actor, "actor_name": self.actor_name, "process_id": self.process_id, "type": self.type,
            "seq": self.seq, "instance_id": self.instance_id, "task_id": self.task_id,
            "values": [v.as_dict() for v in self.values], "changes": [c.as_dict() for c in self.changes],
            "details": list(self.details),
        }


@dataclass
class Filters:
    procedure: str | None = None  # process id
    persoon: str | None = None  # username of the actor
    soort: str | None = None  # a key of KINDS

    @classmethod
    def of(cls, raw) -> "Filters":
        if isinstance(raw, cls):
            return raw
        raw = raw or {}
        return cls(**{k: (str(raw.get(k) or "").strip() or None) for k in ("procedure", "persoon", "soort")})

    def keep(self, entry: Entry) -> bool:
        return ((not self.procedure or entry.process_id == self.procedure)
                and (not self.persoon or entry.actor == self.persoon)
                and (not self.soort or entry.kind == self.soort))


@dataclass
class Options:
    """What the filters can choose from in this case: [(value, Dutch label)]."""

    procedures: list[tuple[str, str]]
    personen: list[tuple[str, str]]
    soorten: list[tuple[str, str]]


class _Reader:
    """What labelling needs, read once per timeline: names, tasks, versions and their forms."""

    def __init__(self, ctx: Context, session: Session, case_id: int):
        self.ctx, self.session = ctx, session
        self.names = dict(session.execute(select(User.username, User.naam)).all())
        self.procedures = dict(session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                               .order_by(ProcessVersion.version)).all())
        self.tasks = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.case_id == case_id))}
        self.instances = {i.id: i for i in session.scalars(select(ProcessInstance)
                                                            .where(ProcessInstance.case_id == case_id))}
        self.version_of: dict[int, int] = {}  # instance -> the version it ran on at the event read last
        self.entered: dict[tuple[int, str], object] = {}  # (instance, field) -> the field it was last entered in
        self.versions: dict[int, ProcessVersion] = {}

    def person(self, username: str | None) -> str:
        if not username:
            return ""
        return "Systeem" if username == SYSTEM else self.names.get(username, username)

    def procedure(self, process_id: str | None) -> str:
        return self.procedures.get(process_id or "") or process_id or ""

    def version(self, instance_id: int | None) -> ProcessVersion | None:
        if instance_id is None:
            return None
        version_id = self.version_of.get(instance_id)
        if version_id is None and instance_id in self.instances:
            version_id = self.instances[instance_id].process_version_id
        if version_id and version_id not in self.versions:  # held here: the identity map holds them weakly
            self.versions[version_id] = self.session.get(ProcessVersion, version_id)
        return self.versions.get(version_id)

    def forms(self, instance_id: int | None):
        version = self.version(instance_id)
        return self.ctx.bundle_of(self.session, version).forms if version is not None else self.ctx.forms

    def form(self, instance_id: int | None, key: str | None):
        forms = self.forms(instance_id)
        try:
            return forms.get(key) if key and key in forms else None
        except FormDefinitionError:
            return None


def _title(reader: _Reader, event: Event, kind: str) -> str:
    data = event.data or {}
    task = reader.tasks.get(event.human_task_id)
    task_name = data.get("task") or (task.name if task else None) or words(event.task_bpmn_id)
    if event.type == "instance_started":
        return f"Procedure gestart: {reader.procedure(data.get('process_id'))}"
    if event.type in ("task_completed", "task_claimed", "task_unclaimed"):
        word = {"task_completed": "Taak afgerond", "task_claimed": "Taak opgepakt",
                "task_unclaimed": "Taak vrijgegeven"}[event.type]
        return f"{word}: {task_name}"
    if event.type == "task_reassigned":
        return (f"Taak overgedragen: {task_name}, van {reader.person(data.get('van')) or 'niemand'} "
                f"aan {reader.person(data.get('naar'))}")
    if event.type in ("message_delivered", vk.LATE_EVENT):
        late = " (na de verzenddag)" if event.type == vk.LATE_EVENT else ""
        return f"Bericht ontvangen{late}: {words(data.get('message'))}"
    if event.type == "gegevens_gecorrigeerd":
        spec = _corrected_field(reader, event, data.get("veld") or "")
        return f"Gegevens gecorrigeerd door de beheerder: {spec.label if spec else data.get('veld')}"
    if event.type == "reparatie":
        return f"Opnieuw geprobeerd door de beheerder (incident {data.get('incident')})"
    if event.type == "verplaatst":
        ended, begun = data.get("eindigen") or [{}], data.get("beginnen") or [{}]
        return (f"Casus verplaatst door de beheerder: van {ended[0].get('naam') or words(data.get('van'))} "
                f"naar {begun[0].get('naam') or words(data.get('naar'))}")
    if event.type == "gemigreerd":
        return (f"Gemigreerd door de procesbeheerder: {reader.procedure(data.get('process_id'))} van versie "
                f"{data.get('van')} naar versie {data.get('naar')}")
    if event.type == "timer_fired":
        timers = [step.get("name") or words(step.get("bpmn_id")) for step in data.get("steps", [])
                  if "Timer" in str(step.get("type", "")) or str(step.get("bpmn_id", "")).startswith("Timer_")]
        return f"Termijn verstreken: {', '.join(timers)}" if timers else "Termijn verstreken"
    if event.type == "casus_afgesloten":
        return "Casus afgesloten (alle procedures beëindigd, geen besluit van het VeiligheidsTeam open)"
    if event.type == "casus_heropend":
        return "Casus weer open"
    if event.type == "avg_export":
        return "AVG-export gemaakt door de beheerder (inzageverzoek)"
    return KINDS.get(kind) if kind != "overig" else words(event.type)


def _values(reader: _Reader, event: Event) -> list[Value]:
    data = event.data or {}
    entered = data.get("data")
    if not isinstance(entered, dict):
        return []
    if event.type == "task_completed":
        task = reader.tasks.get(event.human_task_id)
        definition = reader.form(event.instance_id, task.form_key if task else None)
    elif event.type == "instance_started":
        version = reader.version(event.instance_id)
        definition = reader.form(event.instance_id, version.start_form if version else None)
    elif event.type in ("message_delivered", vk.LATE_EVENT):
        definition = reader.form(event.instance_id, MESSAGE_FORM.format(data.get("message")))
    else:
        definition = None
    for spec in definition.fields if definition else ():
        if spec.name in entered:
            reader.entered[(event.instance_id, spec.name)] = spec
    return labelled(definition, entered, reader.names)


def _corrected_field(reader: _Reader, event: Event, name: str):
    """The field's definition where it was last entered, or in the form of a task the correction
    wrote into, else in any form of the version (one name can have other labels in other forms)."""
    if (event.instance_id, name) in reader.entered:
        return reader.entered[(event.instance_id, name)]
    elements = set((event.data or {}).get("elementen") or [])
    for task in reader.tasks.values():
        if task.instance_id == event.instance_id and task.bpmn_id in elements:
            definition = reader.form(event.instance_id, task.form_key)
            if definition is not None and definition.field(name) is not None:
                return definition.field(name)
    return field_of(reader.forms(event.instance_id), name)


def _changes(reader: _Reader, event: Event) -> list[Change]:
    data = event.data or {}
    if event.type != "gegevens_gecorrigeerd":
        return []
    spec = _corrected_field(reader, event, data.get("veld") or "")
    before = sorted({text_of(spec, v, reader.names) for v in (data.get("voor") or {}).values()}) or [EMPTY]
    return [Change(spec.label if spec else words(data.get("veld")), ", ".join(before),
                   text_of(spec, data.get("na"), reader.names))]


def _details(reader: _Reader, event: Event) -> list[str]:
    data = event.data or {}
    lines = []
    if event.type == "verplaatst":
        for key, word in (("eindigen", "Beëindigd"), ("beginnen", "Begonnen")):
            if data.get(key):
                lines.append(f"{word}: {', '.join(t.get('naam') or t.get('bpmn_id') for t in data[key])}")
    if event.type == "gemigreerd":
        for key, word in (("vervallen", "Vervallen"), ("nieuw", "Nieuw")):
            if data.get(key):
                lines.append(f"{word}: {', '.join(t.get('naam') or t.get('bpmn_id') for t in data[key])}")
    if event.type == "reparatie" and data.get("resultaat"):
        lines.append(f"Resultaat: {data['resultaat']}")
    if event.type in ("task_reassigned", "gegevens_gecorrigeerd", "verplaatst", "gemigreerd", "reparatie",
                      "avg_export") and data.get("reden"):
        lines.append(f"Reden: {data['reden']}")
    for step in data.get("steps", []):
        if step.get("type") == "EndEvent" and str(step.get("bpmn_id", "")).startswith("Eind_"):
            lines.append(f"Einde bereikt in {reader.procedure(step.get('process_id'))}: "
                         f"{step.get('name') or words(step['bpmn_id'][len('Eind_'):])}")
        elif "Timer" in str(step.get("type", "")) or str(step.get("bpmn_id", "")).startswith("Timer_"):
            lines.append(f"Termijn: {step.get('name') or words(step.get('bpmn_id'))}")
    for item in data.get("outgoing", []):
        if item.get("kind") == "escalation":
            lines.append(f"Signalering: {words(item.get('code') or item.get('name'))}")
        elif item.get("kind") == "message":
            lines.append(f"Bericht verstuurd: {words(item.get('name'))}")
    return lines


def _process_of(reader: _Reader, event: Event) -> str | None:
    data = event.data or {}
    task = reader.tasks.get(event.human_task_id)
    if task is not None:
        return task.process_id
    instance = reader.instances.get(event.instance_id)
    return data.get("process_id") or (instance.process_id if instance else None)


def _follow_version(reader: _Reader, event: Event) -> None:
    """The version the instance runs on from this event on (a migration has no values to label)."""
    data = event.data or {}
    if event.type == "instance_started" and data.get("process_version_id"):
        reader.version_of[event.instance_id] = data["process_version_id"]
    elif event.type == "gemigreerd" and data.get("naar_version_id"):
        reader.version_of[event.instance_id] = data["naar_version_id"]


def _event_entry(reader: _Reader, event: Event) -> Entry:
    _follow_version(reader, event)
    kind = EVENT_KINDS.get(event.type, "overig")
    return Entry(kind=kind, label=KINDS[kind], title=_title(reader, event, kind), at=event.at, actor=event.actor,
                 actor_name=reader.person(event.actor), process_id=_process_of(reader, event), type=event.type,
                 seq=event.seq, instance_id=event.instance_id, task_id=event.human_task_id,
                 values=_values(reader, event), changes=_changes(reader, event), details=_details(reader, event),
                 event=event, _order=(event.seq, 0, 0))


def _card_entries(reader: _Reader, case_id: int, events: dict[int, Entry]) -> list[Entry]:
    """One entry per Veiligheidskaart version: the sections that changed from the version before."""
    entries, previous = [], VkVersie(secties={})
    for row in vk.versions(reader.session, case_id):
        changes = [Change(d["titel"], d["links"] or EMPTY, d["rechts"] or EMPTY)
                   for d in vk.diff(previous, row) if d["gewijzigd"]]
        task = reader.tasks.get(row.human_task_id)
        cause = events.get(row.event_seq)
        details = [f"Status: {words(row.status)}"] + ([f"Bij taak: {row.taak}"] if row.taak else [])
        entries.append(Entry(
            kind="veiligheidskaart", label=KINDS["veiligheidskaart"], title=f"Veiligheidskaart versie {row.versie}",
            at=row.op, actor=row.door, actor_name=reader.person(row.door),
            process_id=task.process_id if task else cause.process_id if cause else None, type="vk_versie",
            task_id=row.human_task_id, changes=changes, details=details, _order=(row.event_seq,) if row.event_seq
            else ()))
        previous = row
    return entries


def _mail_entries(reader: _Reader, case_id: int, events: dict[int, Entry]) -> list[Entry]:
    entries = []
    for mail in reader.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)
                                       .order_by(OutboxMessage.id)):
        found = _EVENT_MAIL.match(mail.dedup_key or "")
        cause = events.get(int(found.group(1))) if found else None
        status = mail_status.describe(mail)
        entries.append(Entry(
            kind="mail", label=KINDS["mail"], title=f"Mail: {mail.subject}", at=mail.created_at, actor=SYSTEM,
            actor_name=reader.person(SYSTEM), process_id=cause.process_id if cause else None, type="mail",
            details=[f"Aan: {', '.join(mail.recipients or [])}", f"Status: {status}"],
            mail_id=mail.id, _order=(cause.seq,) if cause else ()))
    return entries


def _send_entries(reader: _Reader, case_id: int, mails: list[Entry]) -> list[Entry]:
    """The send log; a send goes right after the event whose mail carried the document."""
    by_mail = {e.mail_id: e._order for e in mails if e._order}
    anchors = {send: by_mail[message] for message, send in reader.session.execute(
        select(OutboxAttachment.message_id, OutboxAttachment.vk_verzending_id).where(
            OutboxAttachment.vk_verzending_id.is_not(None), OutboxAttachment.message_id.in_(list(by_mail) or [0])))}
    rows = vk.sends(reader.session, case_id)
    mailed = mail_status.of_sends(reader.session, [row.id for row in rows])
    return [Entry(
        kind="verzending", label=KINDS["verzending"],
        title=f"Veiligheidskaart versie {row.versie} naar de verzendlijst ({words(row.reden)})", at=row.op,
        actor=SYSTEM, actor_name=reader.person(SYSTEM), type="vk_verzending",
        details=[f"Aan: {', '.join(row.aan or []) or EMPTY}", f"Status: {send_status(row, mailed.get(row.id))}"]
        + ([f"Toelichting: {row.toelichting}"] if row.toelichting else [])
        + ([f"Bestand: {row.bestandsnaam}"] if row.bestandsnaam else []), _order=anchors.get(row.id, ()))
        for row in rows]


def send_status(row, mailed: str | None) -> str:
    """A send-log row's status: what became of its mail, never "verzonden" for a mail still queued."""
    if row.status in SEND_STATUS:
        return SEND_STATUS[row.status]
    return mailed or ("niet per mail" if not row.aan else "in de wachtrij")


def _place(entries: list[Entry], events: list[Entry]) -> None:
    """Order: an entry caused by an event right after it; others after the last event before them."""
    seqs = [(e.at, e.seq) for e in events]
    for index, entry in enumerate(entries):
        if entry._order:
            anchor = entry._order[0]
        else:
            anchor = max((seq for at, seq in seqs if at <= entry.at), default=0)
        entry._order = (anchor, 1 if entry.kind == "veiligheidskaart" else 2, entry.at, index)


@dataclass
class Submitted:
    """A completed task as it was submitted: the values labelled by its form, who, when."""

    data: dict
    values: list[Value]
    completed_by: str
    completed_by_name: str
    completed_at: datetime
    form_title: str | None

    def as_dict(self) -> dict:
        return {"data": self.data, "values": [v.as_dict() for v in self.values], "completed_by": self.completed_by,
                "completed_by_name": self.completed_by_name,
                "completed_at": self.completed_at.astimezone(TZ).isoformat(timespec="seconds")}


def submitted(ctx: Context, session: Session, task: HumanTask) -> Submitted | None:
    """What was submitted with a completed task (None: not completed by a person's submission)."""
    event = session.scalars(select(Event).where(
        Event.case_id == task.case_id, Event.type == "task_completed", Event.human_task_id == task.id)).first()
    if event is None:
        return None
    reader = _Reader(ctx, session, task.case_id)
    for earlier in session.scalars(select(Event).where(
            Event.case_id == task.case_id, Event.instance_id == event.instance_id, Event.seq < event.seq,
            Event.type.in_(("instance_started", "gemigreerd"))).order_by(Event.seq)):
        _follow_version(reader, earlier)
    definition = reader.form(event.instance_id, task.form_key)
    data = (event.data or {}).get("data") or {}
    return Submitted(data=data, values=labelled(definition, data, reader.names, keep_empty=True),
                     completed_by=event.actor, completed_by_name=reader.person(event.actor), completed_at=event.at,
                     form_title=definition.title if definition else None)


def timeline(ctx: Context, session: Session, case_id: int, filters=None) -> list[Entry]:
    """The case's timeline, oldest first; `filters`: Filters or a dict with procedure/persoon/soort."""
    reader = _Reader(ctx, session, case_id)
    events = [_event_entry(reader, e) for e in session.scalars(
        select(Event).where(Event.case_id == case_id).order_by(Event.seq))]
    by_seq = {e.seq: e for e in events}
    mails = _mail_entries(reader, case_id, by_seq)
    others = _card_entries(reader, case_id, by_seq) + mails + _send_entries(reader, case_id, mails)
    _place(others, events)
    # A send has no procedure of its own: that of the event it followed.
    for entry in others:
        if entry.process_id is None and entry._order[0] in by_seq:
            entry.process_id = by_seq[entry._order[0]].process_id
    entries = sorted(events + others, key=lambda e: e._order)
    chosen = Filters.of(filters)
    return [e for e in entries if chosen.keep(e)]


def options(ctx: Context, session: Session, case_id: int, entries: list[Entry] | None = None) -> Options:
    """The procedures, people and kinds that occur in the case's timeline."""
    entries = entries if entries is not None else timeline(ctx, session, case_id)
    names = {e.process_id for e in entries if e.process_id}
    procedures = dict(session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                      .order_by(ProcessVersion.version)).all())
    people = {e.actor: e.actor_name for e in entries}
    kinds = {e.kind for e in entries}
    return Options(
        procedures=sorted(((p, procedures.get(p) or p) for p in names), key=lambda x: x[1]),
        personen=sorted(people.items(), key=lambda x: x[1]),
        soorten=[(k, label) for k, label in KINDS.items() if k in kinds],
    )

