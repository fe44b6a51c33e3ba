"""Firing due timers: find instances by their indexed next-timer column (ids only; on PostgreSQL a
worker claims a batch so several workers fire disjoint ones), then one transaction each."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, or_, select, text, update

from app.engine import clock as clock_mod
from app.engine.runtime import EngineError
from persistence.models import Case, ProcessInstance

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


# A claim lasts this long at most (a worker that hangs); a worker that died frees its claims at
# once on PostgreSQL, where a claim names the database connection that holds it (see claim_due).
CLAIM_SECONDS = 300


def _due(now: datetime):
    # Strictly before: the engine fires a timer only once its moment has passed. A failed timer
    # waits for the beheerder's retry (an open incident); the others go on.
    return (ProcessInstance.status == "running", ProcessInstance.next_timer_at < now,
            ~incidents.open_instance_clause())


def due_instance_ids(ctx: Context, now: datetime, limit: int, skip: set[int] = frozenset()) -> list[int]:
    """Ids of due instances (nothing else read), the first due first."""
    with ctx.transaction() as session:
        query = select(ProcessInstance.id).where(*_due(now)).order_by(ProcessInstance.next_timer_at).limit(limit)
        if skip:
            query = query.where(ProcessInstance.id.not_in(skip))
        return list(session.scalars(query))


def claim_due(ctx: Context, now: datetime, limit: int, holder: int, skip: set[int] = frozenset()) -> list[int]:
    """PostgreSQL: claim up to `limit` due instances that no live worker has claimed, in one short
    statement (ids only; rows another transaction holds are skipped, not waited for). A claim names
    the backend pid of the claiming worker's held connection (`holder`): when that worker dies its
    connection goes and the claim with it; otherwise it ends after CLAIM_SECONDS."""
    wall = datetime.now(timezone.utc)
    free = or_(ProcessInstance.timer_claimed_by.is_(None), ProcessInstance.timer_claimed_until < wall,
               text("NOT EXISTS (SELECT 1 FROM pg_stat_activity a "
                    "WHERE a.pid::text = process_instance.timer_claimed_by)"))
    candidates = select(ProcessInstance.id).where(*_due(now), free)
    if skip:
        candidates = candidates.where(ProcessInstance.id.not_in(skip))
    candidates = (candidates.order_by(ProcessInstance.next_timer_at).limit(limit)
                  .with_for_update(skip_locked=True).correlate(None).scalar_subquery())
    with ctx.transaction() as session:
        return list(session.scalars(
            update(ProcessInstance).where(ProcessInstance.id.in_(candidates))
            .values(timer_claimed_by=str(holder), timer_claimed_until=wall + timedelta(seconds=CLAIM_SECONDS))
            .returning(ProcessInstance.id).execution_options(synchronize_session=False)))


def release(ctx: Context, ids: list[int], holder: int) -> None:
    with ctx.transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids),
                                                      ProcessInstance.timer_claimed_by == str(holder))
                        .values(timer_claimed_by=None, timer_claimed_until=None)
                        .execution_options(synchronize_session=False))


# Built once (a worker runs it per due instance). The case (not locked: its seal locks it at the
# commit, after the instance, as every act does) and its last event come along, so the act needs no
# query of its own for either.
_LOCK_IF_DUE = select(ProcessInstance, Case, *events.head_columns(ProcessInstance.case_id)).join(
    Case, Case.id == ProcessInstance.case_id).where(
    ProcessInstance.id == bindparam("instance_id"), ProcessInstance.status == "running",
    ProcessInstance.next_timer_at < bindparam("now")).with_for_update(of=ProcessInstance, skip_locked=True)


def fire_instance(ctx: Context, instance_id: int, now: datetime) -> TimerResult | None:
    """Fire what is due in one instance at `now`; None when another worker got there first or a
    person's act meanwhile left nothing due (then the row is not loaded at all)."""
    at = clock_mod.FixedClock(now)
    with ctx.transaction(clock=at) as session:
        # The due condition in the locking query (PostgreSQL re-checks it on the row as committed
        # once the lock is had): a row another worker holds is skipped and one that is no longer
        # due comes back empty, neither loaded.
        row = session.execute(_LOCK_IF_DUE, {"instance_id": instance_id, "now": now}).first()
        if row is None:
            return None
        # `_case` is held (the session keeps objects only while referenced): the act finds it there.
        instance, _case, head_seq, head_hash = row
        events.remember_head(session, instance.case_id, head_seq, head_hash)
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

    On PostgreSQL a worker claims each batch first (claim_due), so several workers fire disjoint
    batches and none loads an instance another has taken; each instance still fires in its own
    transaction under a row lock, so a timer fires once whatever the claims do. On SQLite (one
    writer at a time) a worker lists the due ids and fires them one by one; a second worker finds
    each row already fired by its lock-and-check, without loading it.
    Instances another worker holds or has just done are not retried in this call. One that fails
    becomes an incident (its error reported here) and is left alone until a beheerder retries it."""
    now = now or ctx.now()
    engine = ctx.sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return _fire_batches(ctx, now, lambda seen: due_instance_ids(ctx, now, batch, skip=seen), lambda ids: None)
    # The connection whose backend names this worker's claims: held, idle, for the whole call.
    with engine.connect() as held:
        holder = held.scalar(text("SELECT pg_backend_pid()"))
        held.commit()
        return _fire_batches(ctx, now, lambda seen: claim_due(ctx, now, batch, holder, skip=seen),
                             lambda ids: release(ctx, ids, holder))


def _fire_batches(ctx: Context, now: datetime, next_batch, done) -> list[TimerResult]:
    results: list[TimerResult] = []
    seen: set[int] = set()
    while True:
        claimed = next_batch(seen)
        ids = [i for i in claimed if i not in seen]
        if not ids:
            if claimed:
                done(claimed)
            return results
        seen.update(ids)
        try:
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
        finally:
            done(claimed)
