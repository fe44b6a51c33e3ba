"""The heatmap: per element of one deployed version of a diagram, how many instances passed it in
the period, how many are at it now, and the median time spent there (user tasks).

- passed: distinct instances with a passage of the element in the period (element_passage);
- now: open tasks of the element (human_task); at a call activity, the instances with an open task
  in the procedure it calls;
- median: opened until completed, for the element's tasks completed in the period.
Instances of a called diagram are those of the callers' versions deployed with this content.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from persistence.models import Case, ElementPassage, HumanTask, ProcessInstance, ProcessVersion

from ..errors import NotFound
from .diagrams import elements, running_versions
from .durations import aggregate, seconds_between
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
    instances = select(ProcessInstance.id).where(ProcessInstance.process_version_id.in_(running_versions(session, version)))
    gemeente = [Case.gemeente == filters.gemeente] if filters.gemeente else []

    passed_q = (select(ElementPassage.bpmn_id, func.count(ElementPassage.instance_id.distinct()))
                .where(ElementPassage.process_id == process_id, ElementPassage.instance_id.in_(instances),
                       ElementPassage.at >= filters.utc_from, ElementPassage.at < filters.utc_to)
                .group_by(ElementPassage.bpmn_id))
    if gemeente:
        passed_q = passed_q.join(Case, Case.id == ElementPassage.case_id).where(*gemeente)
    passed = dict(session.connection().execute(passed_q).all())

    def open_counts(process_ids, key, distinct_instances: bool):
        count = func.count(HumanTask.instance_id.distinct()) if distinct_instances else func.count()
        q = (select(key, count).where(HumanTask.state == "open", HumanTask.process_id.in_(process_ids),
                                      HumanTask.instance_id.in_(instances)).group_by(key))
        if gemeente:
            q = q.join(Case, Case.id == HumanTask.case_id).where(*gemeente)
        return dict(session.connection().execute(q).all())

    shapes = elements(version.xml)
    now = open_counts([process_id], HumanTask.bpmn_id, False)
    calls = {e.called: e.bpmn_id for e in shapes.values() if e.kind == "callActivity" and e.called}
    if calls:
        for called, n in open_counts(list(calls), HumanTask.process_id, True).items():
            now[calls[called]] = now.get(calls[called], 0) + n

    where = [HumanTask.process_id == process_id, HumanTask.state == "completed", HumanTask.instance_id.in_(instances),
             HumanTask.completed_at >= filters.utc_from, HumanTask.completed_at < filters.utc_to, *gemeente]

    def base(*columns):
        q = select(*columns).select_from(HumanTask)
        if gemeente:
            q = q.join(Case, Case.id == HumanTask.case_id)
        return q.where(*where)

    medians = aggregate(session, base, [HumanTask.bpmn_id], literal(0),
                         {"total": seconds_between(session, HumanTask.completed_at, HumanTask.created_at)}, 1)
    result = {}
    for bpmn_id, shape in shapes.items():
        spread = medians.get((bpmn_id,), ({"total": None}, None))[0]["total"]
        if bpmn_id in passed or bpmn_id in now or spread:
            result[bpmn_id] = {"naam": shape.name, "soort": shape.kind, "doorlopen": passed.get(bpmn_id, 0),
                               "nu": now.get(bpmn_id, 0),
                               "mediaan_seconden": round(spread.median) if spread and spread.median is not None else None}
    return {"process_id": process_id, "versie": version.version, "naam": version.name, "xml": version.xml,
            "periode": {"van": filters.van.isoformat(), "tot": filters.tot.isoformat()},
            "gemeente": filters.gemeente, "elementen": result,
            "max_doorlopen": max([e["doorlopen"] for e in result.values()] or [0])}
