"""Deadline compliance: the region's targets, each counted per period and per gemeente.

Where the dates live (processes/*.bpmn, forms/):
- the CAB: the task `Task_CabHouden` (P0); its date is the form's `cab_gehouden_op`, the day it was
  completed when left out (as the diagrams' two-week timer reads it); kept with the task's facts
  (task_feit, facts.py) as is the conversation's outcome;
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

from xml.etree import ElementTree

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from persistence.models import Case, ElementPassage, HumanTask, ProcessInstance, ProcessVersion, TaskFeit

from ..context import Context
from .diagrams import BPMN, CAMUNDA, process_end_events, process_start_events
from .durations import bucket_index, epoch, fetch
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

    def count(self, period: int | None, gemeente: str | None, met: bool, step: str | None = None, n: int = 1) -> None:
        if period is None:
            return
        for tally in (self.periods[period], self.total, self.per_gemeente.setdefault(gemeente or "", Tally()),
                      *([self.per_step.setdefault(step, Tally())] if step else [])):
            if met:
                tally.met += n
            else:
                tally.missed += n


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


def _parameters_by_version(ctx: Context, session: Session, version_ids) -> dict[int, dict]:
    """The regional settings each version was deployed with."""
    versions = session.scalars(select(ProcessVersion).where(ProcessVersion.id.in_(sorted(set(version_ids)))))
    return {v.id: ctx.bundle_of(session, v).parameters for v in versions}


# A conversation whose target date falls in the period started at most this long before it (the
# CAB before it, plus the region's days); running ones are read whatever their age.
LOOKBACK = timedelta(days=60)


def _conversation_rows(session: Session, filters: Filters, start_ids, end_ids, since, instance_ids=None):
    """(starts, cabs, talks, ends) of P3/P4 from `since`, or of these instances."""
    def scoped(query, instance_col, at_col):
        if instance_ids is not None:
            return query.where(instance_col.in_(instance_ids))
        return query.where(at_col >= since)

    at = epoch(session, ElementPassage.at).label("at")
    starts = scoped(
        select(ElementPassage.instance_id, ElementPassage.process_id, at, ElementPassage.case_id,
               Case.gemeente, ProcessInstance.process_version_id)
        .join(Case, Case.id == ElementPassage.case_id).join(ProcessInstance, ProcessInstance.id == ElementPassage.instance_id)
        .where(ElementPassage.process_id.in_(filters.procedure and [filters.procedure] or CONVERSATION_PROCESSES),
               ElementPassage.bpmn_id.in_(start_ids)), ElementPassage.instance_id, ElementPassage.at)
    if filters.gemeente:
        starts = starts.where(Case.gemeente == filters.gemeente)
    # The CAB's date and the conversation's outcome from the narrow task facts (facts.py), not the
    # completion events' JSON.
    cabs = scoped(select(TaskFeit.instance_id, epoch(session, TaskFeit.completed_at), TaskFeit.waarde)
                  .where(TaskFeit.bpmn_id == CAB_TASK), TaskFeit.instance_id, TaskFeit.completed_at)
    talks = scoped(select(TaskFeit.instance_id, TaskFeit.process_id, epoch(session, TaskFeit.created_at),
                          epoch(session, TaskFeit.due_at))
                   .where(TaskFeit.bpmn_id == CONVERSATION_TASK, TaskFeit.waarde == HELD),
                   TaskFeit.instance_id, TaskFeit.created_at)
    ends = scoped(select(ElementPassage.instance_id, ElementPassage.process_id, at)
                  .where(ElementPassage.process_id.in_(CONVERSATION_PROCESSES), ElementPassage.bpmn_id.in_(end_ids)),
                  ElementPassage.instance_id, ElementPassage.at)
    return [fetch(session, q) for q in (starts, cabs, talks, ends)]


def _conversations(ctx: Context, session: Session, filters: Filters, now: datetime, target: Target,
                   late: list[LateItem], start_ids: list[str], end_ids: list[str]) -> None:
    """TM1. Each start of P3/P4 in an instance (a passage of the process's own start event) is one
    conversation to hold; its target date is the CAB before it plus the region's days."""
    rows = _conversation_rows(session, filters, start_ids, end_ids, filters.utc_from - LOOKBACK)
    seen = {row[0] for row in rows[0]}
    # Conversations still to be held that started before the window: past their target now.
    running = [i for i in session.scalars(select(ProcessInstance.id).where(ProcessInstance.status == "running"))
               if i not in seen]
    if running:
        older = _conversation_rows(session, filters, start_ids, end_ids, None, running)
        rows = [list(a) + list(b) for a, b in zip(rows, older)]
    starts, cab_rows, talk_rows, end_rows = rows
    if not starts:
        return
    # Plain tuples from the cursor (see durations.fetch): unpacked by position.
    cabs = defaultdict(set)
    for instance_id, completed, given in cab_rows:
        try:
            day = date.fromisoformat(given[:10]) if given else _day(completed)
        except ValueError:
            day = _day(completed)
        cabs[instance_id].add((completed, day))
    talks = defaultdict(list)  # the conversations held
    for instance_id, process_id, created, due in talk_rows:
        talks[(instance_id, process_id)].append((created, due))
    ends = defaultdict(list)
    for instance_id, process_id, at in end_rows:
        ends[(instance_id, process_id)].append(at)
    params = _parameters_by_version(ctx, session, {row[5] for row in starts})
    by_instance = defaultdict(dict)
    for row in starts:
        by_instance[(row[0], row[1])][row[2]] = row
    today = local_date(now)
    for (instance_id, process_id), found in by_instance.items():
        ordered = [found[at] for at in sorted(found)]
        for number, (_, _, start_at, case_id, gemeente, version_id) in enumerate(ordered):
            until = ordered[number + 1][2] if number + 1 < len(ordered) else None
            before = [c for c in cabs.get(instance_id, ()) if c[0] <= start_at]
            if not before:
                continue
            days = int(params.get(version_id, ctx.parameters).get(TM1_SETTING, 14))
            deadline = max(before)[1] + timedelta(days=days)
            held = [due for created, due in talks.get((instance_id, process_id), ())
                    if created >= start_at and (until is None or created < until)]
            period = filters.index_of_day(deadline)
            if held:
                target.count(period, gemeente, _day(min(held)) <= deadline)
                continue
            ended = any(at >= start_at and (until is None or at < until) for at in ends.get((instance_id, process_id), ()))
            if ended:
                if period is not None:
                    target.excluded += 1
            elif today > deadline:
                target.count(period, gemeente, False)
                target.open_missed += 1
                late.append(LateItem("tm1", case_id, instance_id, process_id, "Interventiegesprek houden",
                                     utc_start(deadline + timedelta(days=1)) - timedelta(seconds=1)))


def _day(seconds: float) -> date:
    """The Dutch date of an instant given as seconds since 1970 (UTC)."""
    return datetime.fromtimestamp(float(seconds), TZ).date()


def _due_tasks(session: Session, filters: Filters, now: datetime, target: Target, late: list[LateItem],
               bpmn_ids, process_id: str | None = None, instances=None, per_step: bool = False) -> None:
    """TM2/TM3: tasks with a due date, counted in the period of their due date (in SQL, grouped):
    met when completed by it. Those open past it now are also listed, whatever the period.
    `instances`: a subquery of the instance ids to count (a procedure's)."""
    if not bpmn_ids:
        return
    period = bucket_index(HumanTask.due_at, filters.bounds_utc())
    met = case((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0)
    keys = [period, Case.gemeente, met] + ([HumanTask.name] if per_step else [])
    in_period = (select(*keys, func.count()).join(Case, Case.id == HumanTask.case_id)
                 .where(HumanTask.bpmn_id.in_(list(bpmn_ids)), HumanTask.due_at >= filters.utc_from,
                        HumanTask.due_at < filters.utc_to, HumanTask.state != "cancelled",
                        or_(HumanTask.state == "completed", HumanTask.due_at < now))
                 .group_by(*keys))
    open_late = (select(HumanTask.case_id, HumanTask.instance_id, HumanTask.process_id, HumanTask.name,
                        HumanTask.due_at).join(Case, Case.id == HumanTask.case_id)
                 .where(HumanTask.state == "open", HumanTask.due_at < now, HumanTask.bpmn_id.in_(list(bpmn_ids))))
    for extra in ([HumanTask.process_id == process_id] if process_id else []) + \
            ([HumanTask.instance_id.in_(instances)] if instances is not None else []) + \
            ([Case.gemeente == filters.gemeente] if filters.gemeente else []):
        in_period = in_period.where(extra)
        open_late = open_late.where(extra)
    for row in session.connection().execute(in_period).all():
        index, gemeente, was_met, count = row[0], row[1], bool(row[2]), row[-1]
        step = row[3] if per_step else None
        target.count(index, gemeente, was_met, step, count)
    for row in session.connection().execute(open_late).all():
        target.open_missed += 1
        late.append(LateItem(target.code, row.case_id, row.instance_id, row.process_id, row.name, row.due_at))


def p5_due_steps(xml_by_process: dict[str, str]) -> list[str]:
    """The user tasks of P5 with a dueDate, from its diagram."""
    xml = xml_by_process.get(P5)
    if not xml:
        return []
    root = ElementTree.fromstring(xml.encode("utf-8"))
    return [t.get("id") for t in root.iter(f"{BPMN}userTask") if t.get(f"{CAMUNDA}dueDate")]


def compliance(ctx: Context, session: Session, filters: Filters, now: datetime, xml_by_process: dict[str, str]) -> Compliance:
    """Every target shown for the selection (a procedure filter shows the targets of that procedure)."""
    start_ids = sorted({i for pid in CONVERSATION_PROCESSES if pid in xml_by_process
                        for i in process_start_events(xml_by_process[pid])})
    p5_steps = p5_due_steps(xml_by_process)
    n = len(filters.starts)
    late: list[LateItem] = []
    tm1 = Target("tm1", "Interventiegesprek binnen de streeftermijn na de CAB", CONVERSATION_PROCESSES,
                 [Tally() for _ in range(n)])
    tm2 = Target("tm2", "Definitieve Veiligheidskaart op tijd verstuurd", (*CONVERSATION_PROCESSES, VK_PROCESS),
                 [Tally() for _ in range(n)])
    tm3 = Target("tm3", "Stappen van de warme overdracht (P5) op tijd", (P5,), [Tally() for _ in range(n)])
    shown = [t for t in (tm1, tm2, tm3) if not filters.procedure or filters.procedure in t.procedures]
    if tm1 in shown:
        end_ids = sorted({i for pid in CONVERSATION_PROCESSES if pid in xml_by_process
                          for i in process_end_events(xml_by_process[pid])})
        _conversations(ctx, session, filters, now, tm1, late, start_ids, end_ids)
    if tm2 in shown:
        instances = None
        if filters.procedure in CONVERSATION_PROCESSES:
            instances = select(ElementPassage.instance_id).where(ElementPassage.process_id == filters.procedure,
                                                                 ElementPassage.bpmn_id.in_(start_ids))
        _due_tasks(session, filters, now, tm2, late, [DEFINITIVE_VK_TASK], VK_PROCESS, instances)
    if tm3 in shown:
        _due_tasks(session, filters, now, tm3, late, p5_steps, P5, per_step=True)
    return Compliance(shown, late)
