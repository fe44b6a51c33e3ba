"""Durations per procedure and per step: median and 90th percentile, and the median per month.

Per step (a user task, from the task projection human_task), for the tasks completed in the period:
- wachttijd: from the moment the task opened until someone picked it up: their first claim; a task
  that opened in someone's own werkbak (assigned at once) is picked up at once; one completed from
  the group's werkbak without a claim is picked up when it was completed;
- werktijd: from being picked up until completed;
- doorlooptijd: from opened until completed (wachttijd + werktijd).
Per procedure (from element_passage): from its start event until its end event, for the runs that
ended in the period (an end event that only signals a deadline does not end it).

The seconds are computed in SQL. PostgreSQL computes the percentiles too (percentile_cont);
SQLite has none, so the same interpolation runs in Python over the narrow rows (key, seconds).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, literal, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from persistence.models import Case, ElementPassage, Event, HumanTask, ProcessInstance

from .periods import Filters


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Spread:
    count: int
    median: float | None
    p90: float | None


@dataclass
class StepDurations:
    process_id: str
    bpmn_id: str
    wait: Spread
    work: Spread
    total: Spread
    trend: list[float | None] = field(default_factory=list)  # median doorlooptijd per month


@dataclass
class ProcedureDurations:
    process_id: str
    total: Spread
    trend: list[float | None] = field(default_factory=list)


def fetch(session: Session, query) -> list[tuple]:
    """The rows of a narrow query as plain tuples, straight from the driver's cursor: SQLAlchemy's
    Row objects cost microseconds per value, which at 100,000 rows is most of a page's time. Only
    for columns without a result conversion (numbers, strings, seconds from epoch())."""
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def seconds_between(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def epoch(session: Session, moment):
    """A UTC instant as seconds since 1970 in SQL: a float is far cheaper to fetch than a datetime."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", moment)
    return (func.julianday(moment) - 2440587.5) * 86400.0


def bucket_index(moment, bounds):
    """The period (month, quarter) of the selection a UTC instant falls in, as a CASE over the UTC
    instants each period starts at (`bounds`, the first one included)."""
    if len(bounds) <= 1:
        return literal(0)
    return case(*[(moment < bound, index) for index, bound in enumerate(bounds[1:])], else_=len(bounds) - 1)


def aggregate(session: Session, base, keys, month, measures: dict, months: int) -> dict:
    """{key: ({measure: Spread}, [median of the first measure per month])}; `base(*columns)` gives
    the select with its FROM, joins and WHERE."""
    n = len(keys)
    if session.get_bind().dialect.name == "postgresql":
        # One pass: GROUPING SETS give the totals per key (month NULL) and the rows per key and month.
        # One sort per measure (both fractions at once), one pass: GROUPING SETS give the totals per
        # key (month NULL) and the rows per key and month.
        fractions = postgresql.array([0.5, 0.9])
        cols = [func.percentile_cont(fractions).within_group(expr) for expr in measures.values()]
        month = month.label("maand")
        query = base(*keys, month, func.count(), *cols).group_by(
            func.grouping_sets(tuple_(*keys), tuple_(*keys, month)))
        result = {}
        per_month = []
        for row in session.connection().execute(query).all():
            if row[n] is None:
                result[tuple(row[:n])] = ({name: Spread(row[n + 1], _float(row[n + 2 + i][0]), _float(row[n + 2 + i][1]))
                                           for i, name in enumerate(measures)}, [None] * months)
            else:
                per_month.append(row)
        for row in per_month:
            if tuple(row[:n]) in result:
                result[tuple(row[:n])][1][row[n]] = _float(row[n + 2][0])
        return result
    # SQLite: the narrow rows (key, month, seconds...) in one fetch, grouped and sorted here.
    values = defaultdict(lambda: [[] for _ in measures])
    by_month = defaultdict(lambda: defaultdict(list))
    width = len(measures)
    for row in fetch(session, base(*keys, month, *measures.values())):
        k = row[:n]
        bucket = values[k]
        for i in range(width):
            bucket[i].append(row[n + 1 + i])
        by_month[k][row[n]].append(row[n + 1])
    return {k: ({name: Spread(len(lists[i]), percentile(lists[i], 0.5), percentile(lists[i], 0.9))
                 for i, name in enumerate(measures)},
                [percentile(by_month[k].get(m, []), 0.5) for m in range(months)])
            for k, lists in values.items()}


def _float(value) -> float | None:
    return None if value is None else float(value)


def step_durations(session: Session, filters: Filters) -> list[StepDurations]:
    """Per step done in the period, the slowest first (by median doorlooptijd)."""
    claims = (select(Event.human_task_id.label("task_id"), func.min(Event.at).label("claimed"))
              .where(Event.type == "task_claimed").group_by(Event.human_task_id).subquery())
    picked = case((claims.c.claimed.is_not(None), claims.c.claimed),
                  (HumanTask.assignee.is_not(None), HumanTask.created_at), else_=HumanTask.completed_at)
    bounds = filters.month_bounds_utc()
    where = [HumanTask.completed_at >= filters.utc_from, HumanTask.completed_at < filters.utc_to,
             HumanTask.state == "completed"]
    joins = []
    if filters.gemeente:
        joins.append((Case, Case.id == HumanTask.case_id))
        where.append(Case.gemeente == filters.gemeente)
    if filters.procedure:
        where.append(HumanTask.process_id == filters.procedure)
    keys = [HumanTask.process_id, HumanTask.bpmn_id]
    month = bucket_index(HumanTask.completed_at, bounds)
    if session.get_bind().dialect.name == "postgresql":
        measures = {"total": seconds_between(session, HumanTask.completed_at, HumanTask.created_at),
                    "wait": seconds_between(session, picked, HumanTask.created_at),
                    "work": seconds_between(session, HumanTask.completed_at, picked)}

        def base(*columns):
            query = select(*columns).select_from(HumanTask).outerjoin(claims, claims.c.task_id == HumanTask.id)
            for target, on in joins:
                query = query.join(target, on)
            return query.where(*where)
    else:
        # SQLite parses each timestamp once (julianday in a subquery), the differences outside.
        inner = select(HumanTask.process_id, HumanTask.bpmn_id, month.label("maand"),
                       func.julianday(HumanTask.created_at).label("c"), func.julianday(HumanTask.completed_at).label("d"),
                       func.julianday(picked).label("k")).select_from(HumanTask) \
            .outerjoin(claims, claims.c.task_id == HumanTask.id)
        for target, on in joins:
            inner = inner.join(target, on)
        inner = inner.where(*where).subquery()
        keys = [inner.c.process_id, inner.c.bpmn_id]
        month = inner.c.maand
        measures = {"total": (inner.c.d - inner.c.c) * 86400.0, "wait": (inner.c.k - inner.c.c) * 86400.0,
                    "work": (inner.c.d - inner.c.k) * 86400.0}

        def base(*columns):
            return select(*columns).select_from(inner)

    result = aggregate(session, base, keys, month, measures, len(bounds))
    rows = [StepDurations(k[0], k[1], s["wait"], s["work"], s["total"], trend) for k, (s, trend) in result.items()]
    rows.sort(key=lambda r: (-(r.total.median or 0), r.process_id, r.bpmn_id))
    return rows


def procedure_durations(session: Session, filters: Filters, start_ids: set[str], end_ids: set[str],
                        process_ids: list[str]) -> list[ProcedureDurations]:
    """Per procedure, the runs (its own start event to its own end event within one instance) that
    ended in the period; `start_ids`/`end_ids` leave out embedded sub-processes and signal ends."""
    is_start = ElementPassage.bpmn_id.in_(sorted(start_ids) or [""])
    is_end = ElementPassage.bpmn_id.in_(sorted(end_ids) or [""])
    runs = (select(ElementPassage.instance_id, ElementPassage.process_id,
                   func.min(case((is_start, ElementPassage.at))).label("begin"),
                   func.max(case((is_end, ElementPassage.at))).label("eind"))
            .where(ElementPassage.process_id.in_([filters.procedure] if filters.procedure else process_ids),
                   ElementPassage.bpmn_id.in_(sorted(start_ids | end_ids) or [""]))
            .group_by(ElementPassage.instance_id, ElementPassage.process_id)
            .having(func.max(case((is_end, ElementPassage.at))) >= filters.utc_from))
    runs = runs.subquery()
    bounds = filters.month_bounds_utc()
    measures = {"total": seconds_between(session, runs.c.eind, runs.c.begin)}
    where = [runs.c.eind >= filters.utc_from, runs.c.eind < filters.utc_to, runs.c.begin.is_not(None)]
    joins = []
    if filters.gemeente:
        joins.append((ProcessInstance, ProcessInstance.id == runs.c.instance_id))
        joins.append((Case, Case.id == ProcessInstance.case_id))
        where.append(Case.gemeente == filters.gemeente)

    def base(*columns):
        query = select(*columns).select_from(runs)
        for target, on in joins:
            query = query.join(target, on)
        return query.where(*where)

    result = aggregate(session, base, [runs.c.process_id], bucket_index(runs.c.eind, bounds), measures, len(bounds))
    rows = [ProcedureDurations(k[0], s["total"], trend) for k, (s, trend) in result.items()]
    rows.sort(key=lambda r: -(r.total.median or 0))
    return rows
