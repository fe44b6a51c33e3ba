"""Firing due timers: find instances by their indexed next-timer column, one transaction each."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.engine import clock as clock_mod
from app.engine.runtime import EngineError
from persistence.models import ProcessInstance

from . import events, incidents
from .context import Context
from .errors import Conflict, ProcessFailed
from .instances import load_run, record_act


@dataclass
class TimerResult:
    instance_id: int
    case_id: int
    fired: list[dict]
    error: str | None = None


def due_instance_ids(ctx: Context, now: datetime, limit: int, skip: set[int] = frozenset()) -> list[int]:
    with ctx.transaction() as session:
        query = (
            select(ProcessInstance.id)
            # Strictly before: the engine fires a timer only once its moment has passed.
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at < now,
                   # A failed timer waits for the beheerder's retry; the others go on.
                   ~incidents.open_instance_clause())
            .order_by(ProcessInstance.next_timer_at).limit(limit)
        )
        if skip:
            query = query.where(ProcessInstance.id.not_in(skip))
        return list(session.scalars(query))


def fire_instance(ctx: Context, instance_id: int, now: datetime) -> TimerResult | None:
    """Fire what is due in one instance at `now`; None when another worker got there first."""
    at = clock_mod.FixedClock(now)
    with ctx.transaction(clock=at) as session:
        instance = session.scalars(
            select(ProcessInstance).where(ProcessInstance.id == instance_id)
            # Several workers: each instance is taken by one of them; the others skip it.
            .with_for_update(skip_locked=True)
        ).first()
        if instance is None or instance.status != "running" or not instance.next_timer_at \
                or instance.next_timer_at >= now:
            return None
        return fire_in(ctx, session, instance, now)


def fire_in(ctx: Context, session, instance: ProcessInstance, now: datetime) -> TimerResult | None:
    """Fire what is due in `instance` inside the caller's transaction (the worker's, or a retry's)."""
    run = load_run(ctx, instance)
    try:
        log = run.advance()
    except EngineError as exc:
        raise incidents.failed(exc, instance) from exc
    if not log.steps:
        return None  # nothing was due after all: no save, no event
    record_act(ctx, session, instance, run, log, type="timer_fired", actor=events.SYSTEM, data={})
    return TimerResult(instance.id, instance.case_id, log.steps)


def fire_due_timers(ctx: Context, now: datetime | None = None, batch: int = 200) -> list[TimerResult]:
    """Fire everything due at `now`, batch after batch, until nothing due is left for this worker.

    Instances another worker holds or has just done are not retried in this call. One that fails
    becomes an incident (its error reported here) and is left alone until a beheerder retries it."""
    now = now or ctx.now()
    results: list[TimerResult] = []
    seen: set[int] = set()
    while True:
        ids = due_instance_ids(ctx, now, batch, skip=seen)
        if not ids:
            return results
        seen.update(ids)
        for instance_id in ids:
            try:
                with incidents.recorded(ctx, "timer", incidents.WORKER):
                    result = fire_instance(ctx, instance_id, now)
            except Conflict:
                continue  # a person acted on the case meanwhile; its save recomputed the timer
            except ProcessFailed as exc:
                results.append(TimerResult(instance_id, 0, [], error=exc.message))
                continue
            if result is not None:
                results.append(result)
