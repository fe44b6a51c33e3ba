"""Deadline compliance: the region's targets, each counted per period and per gemeente.

Where the dates live (processes/*.bpmn, forms/):
- the CAB: the task `Task_CabHouden` (P0); its date is the form's `cab_gehouden_op`, the day it was
  completed when left out (as the diagrams' two-week timer reads it);
- the interventiegesprek: `Task_InterventiegesprekVoeren` in P3 and P4, due `einde_dag(gesprek_datum)`,
  so the conversation's day is the local date of its due_at; held when the chair recorded
  `gesprek_uitkomst` 'gevoerd';
- the definitive Veiligheidskaart: `Task_DefinitieveVkVersturen` (sp_vk_voorbereiden), due the end
  of the day n working days before the conversation;
- the P5 steps: the user tasks of p5_warme_overdracht with a dueDate (weeks before einde_maatregel).

A deadline belongs to the period its date falls in. Met: done on or before it; missed: done later,
or still open after it; not counted: not yet due and not yet done, or a step that lapsed (cancelled).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from persistence.models import Case, ElementPassage, Event, HumanTask, ProcessInstance, ProcessVersion

from ..context import Context
from .periods import Filters, local_date, utc_start

CAB_TASK = "Task_CabHouden"
CONVERSATION_TASK = "Task_InterventiegesprekVoeren"
DEFINITIVE_VK_TASK = "Task_DefinitieveVkVersturen"
CONVERSATION_PROCESSES = ("p3_interventiegesprek", "p4_interventiegesprek_rvdk")
VK_PROCESS = "sp_vk_voorbereiden"
P5 = "p5_warme_overdracht"
HELD = "gevoerd"

# The regional settings each target reads (processes/parameters.json).
TM1_SETTING = "streeftermijn_gesprek_dagen"
TM2_SETTING = "werkdagen_definitieve_vk"
P5_SETTINGS = ("p5_weken_kernbeslissing", "p5_weken_vht_bespreking", "p5_weken_betekenisvol_toetsen",
               "p5_weken_afsluitgesprek_plannen", "p5_weken_afsluitgesprek")


@dataclass
class Tally:
    met: int = 0
    missed: int = 0

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def percentage(self) -> float | None:
        return round(100 * self.met / self.total, 1) if self.total else None


@dataclass
class Target:
    code: str
    title: str
    procedures: tuple[str, ...]
    periods: list[Tally]
    per_gemeente: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)
    open_missed: int = 0  # still open and past the deadline now (in the selection's gemeente/procedure)
    per_step: dict[str, Tally] = field(default_factory=dict)
    excluded: int = 0  # e.g. conversations that did not take place

    def count(self, period: int | None, gemeente: str | None, met: bool, step: str | None = None) -> None:
        if period is None:
            return
        for tally in (self.periods[period], self.total, self.per_gemeente.setdefault(gemeente or "", Tally()),
                      *( [self.per_step.setdefault(step, Tally())] if step else [])):
            if met:
                tally.met += 1
            else:
                tally.missed += 1


@dataclass(frozen=True)
class LateItem:
    """An open deadline that passed: what the click-through lists (after the access check)."""
    target: str
    case_id: int
    instance_id: int
    process_id: str
    step: str
    deadline: datetime


@dataclass
class Compliance:
    targets: list[Target]
    late: list[LateItem]


def _gemeente_clause(query, filters: Filters, case_col):
    return query.where(case_col == filters.gemeente) if filters.gemeente else query


def _parameters_by_instance(ctx: Context, session: Session, instance_ids) -> dict[int, dict]:
    """Each instance's regional settings as its version was deployed with them."""
    ids = sorted(set(instance_ids))
    if not ids:
        return {}
    version_of = dict(session.execute(select(ProcessInstance.id, ProcessInstance.process_version_id)
                                      .where(ProcessInstance.id.in_(ids))).all())
    versions = {v.id: v for v in session.scalars(select(ProcessVersion).where(
        ProcessVersion.id.in_(set(version_of.values()))))}
    params = {vid: ctx.bundle_of(session, v).parameters for vid, v in versions.items()}
    return {iid: params.get(vid, ctx.parameters) for iid, vid in version_of.items()}


def _conversations(ctx: Context, session: Session, filters: Filters, now: datetime, target: Target,
                   late: list[LateItem]) -> dict[int, str]:
    """TM1. Each start of P3/P4 in an instance (a passage of its start event) is one conversation to
    hold; its target date is the CAB before it plus the region's days. Returns {instance: procedure}."""
    starts = session.execute(
        select(ElementPassage.instance_id, ElementPassage.process_id, ElementPassage.at, Case.gemeente,
               ElementPassage.case_id)
        .join(Case, Case.id == ElementPassage.case_id)
        .where(ElementPassage.process_id.in_(CONVERSATION_PROCESSES), ElementPassage.kind == "StartEvent")
        .where(*( [Case.gemeente == filters.gemeente] if filters.gemeente else []))
        .where(*( [ElementPassage.process_id == filters.procedure] if filters.procedure else []))).all()
    if not starts:
        return {}
    instance_ids = {row.instance_id for row in starts}
    cab_date = Event.data[("data", "cab_gehouden_op")].as_string()
    cabs = defaultdict(list)
    for instance_id, completed_at, given in session.execute(
            select(HumanTask.instance_id, HumanTask.completed_at, cab_date)
            .join(Event, and_(Event.type == "task_completed", Event.human_task_id == HumanTask.id))
            .where(HumanTask.bpmn_id == CAB_TASK, HumanTask.state == "completed",
                   HumanTask.instance_id.in_(instance_ids))):
        try:
            day = date.fromisoformat(given[:10]) if given else local_date(completed_at)
        except ValueError:
            day = local_date(completed_at)
        cabs[instance_id].append((completed_at, day))
    outcome = Event.data[("data", "gesprek_uitkomst")].as_string()
    talks = defaultdict(list)
    for row in session.execute(
            select(HumanTask.instance_id, HumanTask.process_id, HumanTask.created_at, HumanTask.due_at,
                   HumanTask.state, outcome.label("uitkomst"))
            .outerjoin(Event, and_(Event.type == "task_completed", Event.human_task_id == HumanTask.id))
            .where(HumanTask.bpmn_id == CONVERSATION_TASK, HumanTask.instance_id.in_(instance_ids))):
        talks[(row.instance_id, row.process_id)].append(row)
    ends = defaultdict(list)
    for instance_id, process_id, at in session.execute(
            select(ElementPassage.instance_id, ElementPassage.process_id, ElementPassage.at)
            .where(ElementPassage.instance_id.in_(instance_ids), ElementPassage.process_id.in_(CONVERSATION_PROCESSES),
                   ElementPassage.kind == "EndEvent")):
        ends[(instance_id, process_id)].append(at)
    params = _parameters_by_instance(ctx, session, instance_ids)
    by_instance = defaultdict(list)
    for row in starts:
        by_instance[(row.instance_id, row.process_id)].append(row)
    procedures = {}
    today = local_date(now)
    for (instance_id, process_id), rows in by_instance.items():
        rows.sort(key=lambda r: r.at)
        for number, start in enumerate(rows):
            until = rows[number + 1].at if number + 1 < len(rows) else None
            before = [c for c in cabs.get(instance_id, []) if c[0] <= start.at]
            if not before:
                continue
            cab_day = max(before)[1]
            days = int(params.get(instance_id, ctx.parameters).get(TM1_SETTING, 14))
            deadline = cab_day + timedelta(days=days)
            procedures[instance_id] = process_id
            phase = [t for t in talks.get((instance_id, process_id), [])
                     if t.created_at >= start.at and (until is None or t.created_at < until)]
            held = sorted((t for t in phase if t.state == "completed" and t.uitkomst == HELD), key=lambda t: t.due_at)
            period = filters.index_of_day(deadline)
            if held:
                target.count(period, start.gemeente, local_date(held[0].due_at) <= deadline)
                continue
            ended = any(at >= start.at and (until is None or at < until) for at in ends.get((instance_id, process_id), []))
            if ended:
                if period is not None:
                    target.excluded += 1
            elif today > deadline:
                target.count(period, start.gemeente, False)
                target.open_missed += 1
                late.append(LateItem("tm1", start.case_id, instance_id, process_id, "Interventiegesprek houden",
                                     utc_start(deadline + timedelta(days=1)) - timedelta(seconds=1)))
    return procedures


def _due_tasks(session: Session, filters: Filters, now: datetime, target: Target, late: list[LateItem],
               bpmn_ids, process_id: str | None = None, instance_filter=None, per_step: bool = False) -> None:
    """TM2/TM3: tasks with a due date. Counted by the due date's period: met when completed by it."""
    if not bpmn_ids:
        return
    query = (select(HumanTask.case_id, HumanTask.instance_id, HumanTask.process_id, HumanTask.name,
                    HumanTask.due_at, HumanTask.completed_at, HumanTask.state, Case.gemeente)
             .join(Case, Case.id == HumanTask.case_id)
             .where(HumanTask.bpmn_id.in_(list(bpmn_ids)), HumanTask.state != "cancelled",
                    HumanTask.due_at.is_not(None)))
    if process_id:
        query = query.where(HumanTask.process_id == process_id)
    query = _gemeente_clause(query, filters, Case.gemeente)
    for row in session.execute(query):
        if instance_filter is not None and row.instance_id not in instance_filter:
            continue
        period = filters.index_of(row.due_at)
        step = row.name if per_step else None
        if row.state == "completed":
            target.count(period, row.gemeente, row.completed_at <= row.due_at, step)
        elif row.due_at < now:
            target.count(period, row.gemeente, False, step)
            target.open_missed += 1
            late.append(LateItem(target.code, row.case_id, row.instance_id, row.process_id, row.name, row.due_at))


def p5_due_steps(xml_by_process: dict[str, str]) -> list[str]:
    """The user tasks of P5 with a dueDate, from its diagram."""
    from xml.etree import ElementTree

    from .diagrams import BPMN, CAMUNDA

    xml = xml_by_process.get(P5)
    if not xml:
        return []
    root = ElementTree.fromstring(xml.encode("utf-8"))
    return [t.get("id") for t in root.iter(f"{BPMN}userTask") if t.get(f"{CAMUNDA}dueDate")]


def compliance(ctx: Context, session: Session, filters: Filters, now: datetime, p5_steps: list[str]) -> Compliance:
    n = len(filters.starts)
    late: list[LateItem] = []
    tm1 = Target("tm1", "Interventiegesprek binnen de streeftermijn na de CAB", CONVERSATION_PROCESSES,
                 [Tally() for _ in range(n)])
    tm2 = Target("tm2", "Definitieve Veiligheidskaart op tijd verstuurd", (*CONVERSATION_PROCESSES, VK_PROCESS),
                 [Tally() for _ in range(n)])
    tm3 = Target("tm3", "Stappen van de warme overdracht (P5) op tijd", (P5,), [Tally() for _ in range(n)])
    shown = [t for t in (tm1, tm2, tm3) if not filters.procedure or filters.procedure in t.procedures]
    if tm1 in shown:
        _conversations(ctx, session, filters, now, tm1, late)
    if tm2 in shown:
        instances = None
        if filters.procedure in CONVERSATION_PROCESSES:
            instances = {row[0] for row in session.execute(
                select(ElementPassage.instance_id).where(ElementPassage.process_id == filters.procedure,
                                                         ElementPassage.kind == "StartEvent"))}
        _due_tasks(session, filters, now, tm2, late, [DEFINITIVE_VK_TASK], VK_PROCESS, instances)
    if tm3 in shown:
        _due_tasks(session, filters, now, tm3, late, p5_steps, P5, per_step=True)
    return Compliance(shown, late)
