"""The overview (/overzicht) for the VeiligheidsTeam, process owners and auditors: deadline
compliance, durations, end states and the heatmap, as aggregates without personal data. The one
list with case references (open deadlines that passed) shows only the cases the reader may see
(app/service/access.py); the web layer logs that read like any case list (NEN 7513).

`Insight` is this user group's entry point to the service layer: each call one read transaction.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from persistence.models import Case, ElementPassage, HumanTask, User

from .. import access, users
from ..context import Context
from ..errors import PermissionDenied
from . import compliance as compliance_mod
from . import durations as durations_mod
from . import heatmap as heatmap_mod
from .diagrams import elements, latest_versions, outcome_elements, process_end_events, process_start_events
from .periods import Filters

READER_ROLES = ("veiligheidsteam", "procesbeheerder", "auditor", "beheerder")
REFUSED = "Het overzicht is er voor het VeiligheidsTeam, procesbeheerders en auditors; u heeft geen van die rollen."


@dataclass(frozen=True)
class EndCount:
    process_id: str
    bpmn_id: str
    name: str
    kind: str  # einde | signalering | bericht
    count: int


@dataclass
class Overview:
    filters: Filters
    periods: list[str]
    months: list[str]
    targets: list[compliance_mod.Target]
    settings: dict[str, list[tuple[str, object]]]  # per target: the regional settings it reads
    open_late: int  # every open task past its deadline now (and conversations past the target)
    ends: list[EndCount]
    procedure_names: dict[str, str]


@dataclass
class Durations:
    filters: Filters
    months: list[str]
    steps: list[durations_mod.StepDurations]
    procedures: list[durations_mod.ProcedureDurations]
    step_names: dict[tuple[str, str], str]
    procedure_names: dict[str, str]


@dataclass(frozen=True)
class LateCase:
    case_id: int
    referentie: str
    gemeente: str | None
    target: str
    process_id: str
    step: str
    deadline: datetime


@dataclass
class LateList:
    rows: list[LateCase]
    total: int  # also those the reader may not see


def may_read(user: User) -> bool:
    return bool(set(READER_ROLES) & set(user.rollen or []))


SETTINGS = {
    "tm1": [compliance_mod.TM1_SETTING],
    "tm2": [compliance_mod.TM2_SETTING],
    "tm3": list(compliance_mod.P5_SETTINGS),
}


def _end_counts(session: Session, filters: Filters, latest) -> list[EndCount]:
    """How often each end (and send task) of each procedure was reached in the period: one seek per
    element in the passage index."""
    wanted = {pid: sorted(outcome_elements(v.xml)) for pid, v in latest.items()
              if not filters.procedure or pid == filters.procedure}
    wanted = {pid: ids for pid, ids in wanted.items() if ids}
    if not wanted:
        return []
    query = (select(ElementPassage.process_id, ElementPassage.bpmn_id, func.count())
             # Both lists, so the index is sought per pair (an OR per procedure is not); the pairs
             # that are not one procedure's own are dropped below.
             .where(ElementPassage.process_id.in_(sorted(wanted)),
                    ElementPassage.bpmn_id.in_(sorted({i for ids in wanted.values() for i in ids})),
                    ElementPassage.at >= filters.utc_from, ElementPassage.at < filters.utc_to)
             .group_by(ElementPassage.process_id, ElementPassage.bpmn_id))
    if filters.gemeente:
        query = query.join(Case, Case.id == ElementPassage.case_id).where(Case.gemeente == filters.gemeente)
    rows = []
    for process_id, bpmn_id, count in session.connection().execute(query).all():
        if bpmn_id not in wanted[process_id]:
            continue
        shape = elements(latest[process_id].xml).get(bpmn_id)
        kind = shape.kind if shape else ""
        label = "bericht" if kind == "sendTask" else "signalering" if shape and shape.escalation else "einde"
        rows.append(EndCount(process_id, bpmn_id, (shape.name if shape and shape.name else bpmn_id), label, count))
    order = {"einde": 0, "signalering": 1, "bericht": 2}
    rows.sort(key=lambda r: (r.process_id, order[r.kind], -r.count, r.name))
    return rows


def _open_late(session: Session, filters: Filters, now: datetime, extra: int) -> int:
    query = select(func.count()).select_from(HumanTask).where(HumanTask.state == "open", HumanTask.due_at < now)
    if filters.gemeente:
        query = query.join(Case, Case.id == HumanTask.case_id).where(Case.gemeente == filters.gemeente)
    if filters.procedure:
        query = query.where(HumanTask.process_id == filters.procedure)
    return session.scalar(query) + extra


class Insight:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def _reader(self, session: Session, username: str) -> User:
        user = users.require_user(session, username)
        if not may_read(user):
            raise PermissionDenied(REFUSED)
        return user

    def may_read(self, username: str) -> bool:
        with self.ctx.reading() as session:
            return may_read(users.require_user(session, username))

    def overview(self, username: str, filters: Filters) -> Overview:
        """Deadline compliance and end states."""
        with self.ctx.reading() as session:
            self._reader(session, username)
            now = self.ctx.now()
            latest = latest_versions(session)
            xml = {pid: v.xml for pid, v in latest.items()}
            result = compliance_mod.compliance(self.ctx, session, filters, now, xml)
            parameters = self.ctx.current_parameters(session)
            settings = {code: [(name, parameters.get(name)) for name in names] for code, names in SETTINGS.items()}
            tm1_late = sum(1 for item in result.late if item.target == "tm1")
            return Overview(
                filters=filters, periods=filters.labels(), months=filters.month_labels(), targets=result.targets,
                settings=settings, open_late=_open_late(session, filters, now, tm1_late),
                ends=_end_counts(session, filters, latest),
                procedure_names={pid: v.name or pid for pid, v in latest.items()})

    def durations(self, username: str, filters: Filters) -> Durations:
        """Waiting, working and lead times per step, and per procedure."""
        with self.ctx.reading() as session:
            self._reader(session, username)
            latest = latest_versions(session)
            xml = {pid: v.xml for pid, v in latest.items()}
            starts = {i for x in xml.values() for i in process_start_events(x)}
            finishes = {i for x in xml.values() for i in process_end_events(x)}
            steps = durations_mod.step_durations(session, filters)
            names = {}
            for step in steps:
                version = latest.get(step.process_id)
                shape = elements(version.xml).get(step.bpmn_id) if version else None
                names[(step.process_id, step.bpmn_id)] = shape.name if shape and shape.name else step.bpmn_id
            return Durations(filters=filters, months=filters.month_labels(), steps=steps,
                             procedures=durations_mod.procedure_durations(session, filters, starts, finishes, list(xml)),
                             step_names=names, procedure_names={pid: v.name or pid for pid, v in latest.items()})

    def late_cases(self, username: str, filters: Filters, target: str | None = None) -> LateList:
        """The open deadlines that passed, as case references: only the cases this reader may see
        (an auditor every case; others those they take part in). `total` counts all."""
        with self.ctx.reading() as session:
            user = self._reader(session, username)
            now = self.ctx.now()
            xml = {pid: v.xml for pid, v in latest_versions(session).items()}
            result = compliance_mod.compliance(self.ctx, session, filters, now, xml)
            items = list(result.late)
            listed = {(i.case_id, i.instance_id, i.step) for i in items}
            query = (select(HumanTask.case_id, HumanTask.instance_id, HumanTask.process_id, HumanTask.name,
                            HumanTask.due_at)
                     .where(HumanTask.state == "open", HumanTask.due_at < now))
            if filters.gemeente:
                query = query.join(Case, Case.id == HumanTask.case_id).where(Case.gemeente == filters.gemeente)
            if filters.procedure:
                query = query.where(HumanTask.process_id == filters.procedure)
            for row in session.connection().execute(query):
                if (row.case_id, row.instance_id, row.name) not in listed:
                    items.append(compliance_mod.LateItem("overig", row.case_id, row.instance_id, row.process_id,
                                                         row.name, row.due_at))
            if target:
                items = [i for i in items if i.target == target]
            ids = {i.case_id for i in items}
            visible = {}
            if ids:
                visible = {row.id: row for row in session.connection().execute(
                    select(Case.id, Case.referentie, Case.gemeente)
                    .where(Case.id.in_(ids), access.visible_case_clause(user)))}
            rows = [LateCase(i.case_id, visible[i.case_id].referentie, visible[i.case_id].gemeente, i.target,
                             i.process_id, i.step, i.deadline) for i in items if i.case_id in visible]
            rows.sort(key=lambda r: (r.deadline, r.referentie))
            return LateList(rows, len(items))

    def heatmap_choices(self, username: str) -> list[heatmap_mod.VersionChoice]:
        with self.ctx.reading() as session:
            self._reader(session, username)
            return heatmap_mod.choices(session)

    def heatmap(self, username: str, process_id: str, version: int | None, filters: Filters) -> dict:
        with self.ctx.reading() as session:
            self._reader(session, username)
            return heatmap_mod.heatmap(session, process_id, version, filters)


def late_counts(rows: list[LateCase]) -> Counter:
    return Counter(r.target for r in rows)
