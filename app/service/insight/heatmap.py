"""The heatmap: per element of one deployed version of a diagram, how many instances passed it in
the period, how many are at it now, and the median time spent there (user tasks).

- passed: distinct instances with a passage of the element in the period (element_passage);
- now: open tasks of the element (human_task); at a call activity, the instances with an open task
  in the procedure it calls;
- median: opened until completed, for the element's tasks completed in the period (task_feit).
Instances of a called diagram are those of the callers' versions deployed with this content.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from persistence.models import Case, ElementPassage, HumanTask, ProcessInstance, ProcessVersion, TaskFeit

from ..errors import NotFound
from .diagrams import all_versions_running, elements, running_versions
from .durations import aggregate
from .periods import Filters


@dataclass(frozen=True)
class VersionChoice:
    process_id: str
    version: int
    name: str | None


def choices(session: Session) -> list[VersionChoice]:
    return [VersionChoice(v.process_id, v.version, v.name) for v in session.scalars(
        select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc()))]


def heatmap(session: Session, process_id: str, number: int | None, filters: Filters) -> dict:
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    query = query.where(ProcessVersion.version == number) if number else query.order_by(ProcessVersion.version.desc())
    version = session.scalars(query.limit(1)).first()
    if version is None:
        raise NotFound(f"Procedure '{process_id}'" + (f" versie {number}" if number else "") + " bestaat niet.")
    ran = running_versions(session, version)
    # Only when other versions ran this diagram too: then only the instances of this one count.
    narrowed = set(ran) != set(all_versions_running(session, process_id))
    instances = select(ProcessInstance.id).where(ProcessInstance.process_version_id.in_(ran))
    gemeente = [Case.gemeente == filters.gemeente] if filters.gemeente else []

    passed_q = (select(ElementPassage.bpmn_id, func.count(ElementPassage.instance_id.distinct()))
                .where(ElementPassage.process_id == process_id,
                       ElementPassage.at >= filters.utc_from, ElementPassage.at < filters.utc_to)
                .group_by(ElementPassage.bpmn_id))
    if narrowed:
        passed_q = passed_q.where(ElementPassage.instance_id.in_(instances))
    if gemeente:
        passed_q = passed_q.join(Case, Case.id == ElementPassage.case_id).where(*gemeente)
    passed = dict(session.connection().execute(passed_q).all())

    shapes = elements(version.xml)
    calls = {e.called: e.bpmn_id for e in shapes.values() if e.kind == "callActivity" and e.called}
    # Open tasks are few: read them (by the state index) and count here.
    open_q = (select(HumanTask.process_id, HumanTask.bpmn_id, HumanTask.instance_id, HumanTask.case_id)
              .where(HumanTask.state == "open", HumanTask.process_id.in_([process_id, *calls])))
    if gemeente:
        open_q = open_q.join(Case, Case.id == HumanTask.case_id).where(*gemeente)
    open_rows = session.connection().execute(open_q).all()
    if narrowed and open_rows:
        mine = set(session.scalars(instances.where(ProcessInstance.id.in_({r.instance_id for r in open_rows}))))
        open_rows = [r for r in open_rows if r.instance_id in mine]
    called_open = [r for r in open_rows if r.process_id != process_id]
    if called_open:
        # A called procedure may be called from elsewhere too (P3 and P4 both prepare the card):
        # only the instances that run this diagram count at its call activity.
        running_here = set(session.scalars(select(ElementPassage.instance_id).distinct().where(
            ElementPassage.case_id.in_({r.case_id for r in called_open}), ElementPassage.process_id == process_id)))
        open_rows = [r for r in open_rows if r.process_id == process_id or r.instance_id in running_here]
    now: dict[str, int] = {}
    inside: dict[str, set] = {}
    for row in open_rows:
        if row.process_id == process_id:
            now[row.bpmn_id] = now.get(row.bpmn_id, 0) + 1
        else:
            inside.setdefault(calls[row.process_id], set()).add(row.instance_id)
    for bpmn_id, cases_inside in inside.items():
        now[bpmn_id] = now.get(bpmn_id, 0) + len(cases_inside)

    # Opened until completed, as stored at each completion (task_feit, facts.py).
    where = [TaskFeit.process_id == process_id,
             TaskFeit.completed_at >= filters.utc_from, TaskFeit.completed_at < filters.utc_to, *gemeente]
    if narrowed:
        where.append(TaskFeit.instance_id.in_(instances))

    def base(*columns):
        q = select(*columns).select_from(TaskFeit)
        if gemeente:
            q = q.join(Case, Case.id == TaskFeit.case_id)
        return q.where(*where)

    # Keyed by process and element: the order of the covering index ix_task_feit_step.
    medians = aggregate(session, base, [TaskFeit.process_id, TaskFeit.bpmn_id], literal(0),
                        {"total": TaskFeit.total_s}, 1)
    result = {}
    for bpmn_id, shape in shapes.items():
        spread = medians.get((process_id, bpmn_id), ({"total": None}, None))[0]["total"]
        if bpmn_id in passed or bpmn_id in now or spread:
            result[bpmn_id] = {"naam": shape.name, "soort": shape.kind, "doorlopen": passed.get(bpmn_id, 0),
                               "nu": now.get(bpmn_id, 0),
                               "mediaan_seconden": round(spread.median) if spread and spread.median is not None else None}
    return {"process_id": process_id, "versie": version.version, "naam": version.name, "xml": version.xml,
            "periode": {"van": filters.van.isoformat(), "tot": filters.tot.isoformat()},
            "gemeente": filters.gemeente, "elementen": result,
            "max_doorlopen": max([e["doorlopen"] for e in result.values()] or [0])}
