"""Durations per procedure and per step: median and 90th percentile, and the median per month.

Per step (a user task, from its facts written at completion: task_feit, facts.py), for the tasks
completed in the period:
- wachttijd: from the moment the task opened until someone picked it up: their first claim; a task
  that opened in someone's own werkbak (assigned at once) is picked up at once; one completed from
  the group's werkbak without a claim is picked up when it was completed;
- werktijd: from being picked up until completed;
- doorlooptijd: from opened until completed (wachttijd + werktijd).
Per procedure (from element_passage): from its start event until its end event, for the runs that
ended in the period (an end event that only signals a deadline does not end it).

A step's seconds are stored with it; a procedure's are computed in SQL. PostgreSQL computes the
percentiles too (percentile_cont); SQLite has none, so the same interpolation runs in Python over
the narrow rows (key, seconds).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Float, case, cast, func, literal, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from persistence.models import Case, ElementPassage, ProcessInstance, TaskFeit

from .periods import Filters


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    return _at(sorted(values), fraction)


def _at(ordered: list[float], fraction: float) -> float | None:
    """percentile() of values already in order (one sort serves the median and the p90)."""
    if not ordered:
        return None
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
    """A UTC instant as seconds since 1970 in SQL: a float is far cheaper to fetch than a datetime
    (on PostgreSQL cast from extract's numeric, which the driver would make a slow Decimal)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", moment), Float)
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
    # SQLite has no percentile: per key and month the values come as one text each, joined by
    # SQLite's group_concat in one pass, and are split, parsed, merged and sorted here in C-level
    # calls: no Python loop over the 100,000 rows.
    joined = [func.group_concat(expr) for expr in measures.values()]
    if months == 1:  # one month (the heatmap's period): grouped by the key alone, in its index order
        month = literal(0)
        query = base(*keys, month, *joined).group_by(*keys)
    else:
        query = base(*keys, month, *joined).group_by(*keys, month)
    per_key: dict = {}
    for row in fetch(session, query):
        lists, trend = per_key.setdefault(tuple(row[:n]), ([[] for _ in measures], [None] * months))
        values = [_values(text) for text in row[n + 1:]]
        for merged, part in zip(lists, values):
            merged.extend(part)
        if row[n] is not None:
            trend[row[n]] = percentile(values[0], 0.5)
    result = {}
    for key, (lists, trend) in per_key.items():
        spreads = {}
        for name, values in zip(measures, lists):
            values.sort()
            spreads[name] = Spread(len(values), _at(values, 0.5), _at(values, 0.9))
        result[key] = (spreads, trend)
    return result


def _values(text) -> list[float]:
    return list(map(float, text.split(","))) if text else []


def _float(value) -> float | None:
    return None if value is None else float(value)


def step_durations(session: Session, filters: Filters) -> list[StepDurations]:
    """Per step done in the period, the slowest first (by median doorlooptijd): the seconds as
    written at each completion (task_feit, facts.py), so no timestamp is parsed here."""
    bounds = filters.month_bounds_utc()
    where = [TaskFeit.completed_at >= filters.utc_from, TaskFeit.completed_at < filters.utc_to]
    if filters.procedure:
        where.append(TaskFeit.process_id == filters.procedure)

    def base(*columns):
        query = select(*columns).select_from(TaskFeit)
        if filters.gemeente:
            query = query.join(Case, Case.id == TaskFeit.case_id).where(Case.gemeente == filters.gemeente)
        return query.where(*where)

    measures = {"total": TaskFeit.total_s, "wait": TaskFeit.wait_s, "work": TaskFeit.work_s}
    result = aggregate(session, base, [TaskFeit.process_id, TaskFeit.bpmn_id],
                       bucket_index(TaskFeit.completed_at, bounds), measures, len(bounds))
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
