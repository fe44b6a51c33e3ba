"""Appending to a case's history: numbered, timestamped by the clock, hash-chained."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from persistence.models import Event

from . import seals
from .writes import insert_rows

SYSTEM = "systeem"

# Built once: constructing a statement costs more than running it on every act.
_LAST_EVENT = (select(Event.seq, Event.hash).where(Event.case_id == bindparam("case_id"))
               .order_by(Event.seq.desc()).limit(1))
_EVENT = Event.__table__


def event_hash(prev: str, event: Event) -> str:
    body = json.dumps(
        {
            "case": event.case_id,
            "seq": event.seq,
            "instance": event.instance_id,
            "type": event.type,
            "task": event.task_bpmn_id,
            "human_task": event.human_task_id,
            "actor": event.actor,
            "actor_type": event.actor_type,
            # Canonical forms, so the hash is the same before and after a database round trip.
            "at": event.at.astimezone(timezone.utc).isoformat(),
            "data": json.loads(json.dumps(event.data, default=str)),
            "state": event.state_fingerprint,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256((prev + body).encode()).hexdigest()


def append(
    session: Session,
    *,
    case_id: int,
    type: str,
    actor: str,
    at: datetime,
    instance_id: int | None = None,
    task_bpmn_id: str | None = None,
    human_task_id: int | None = None,
    data: dict | None = None,
    state_fingerprint: str | None = None,
) -> Event:
    heads = session.info.setdefault("event_heads", {})
    last = heads.get(case_id)
    if last is None:
        last = session.execute(_LAST_EVENT, {"case_id": case_id}).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, "")
    event = Event(
        case_id=case_id,
        seq=seq,
        instance_id=instance_id,
        type=type,
        task_bpmn_id=task_bpmn_id,
        human_task_id=human_task_id,
        actor=actor,
        actor_type="system" if actor == SYSTEM else "user",
        at=at,
        data=data or {},
        state_fingerprint=state_fingerprint,
    )
    event.hash = event_hash(prev, event)
    # A plain INSERT: events are written once and never loaded back in the same operation,
    # so the ORM's bookkeeping would only cost time on every act.
    insert_rows(session, _EVENT, [dict(
        case_id=event.case_id, seq=event.seq, instance_id=event.instance_id, type=event.type,
        task_bpmn_id=event.task_bpmn_id, human_task_id=event.human_task_id, actor=event.actor,
        actor_type=event.actor_type, at=event.at, data=event.data, state_fingerprint=event.state_fingerprint,
        hash=event.hash,
    )])
    heads[case_id] = (event.seq, event.hash)
    seals.touch(session, case_id)
    return event


def head_columns(case_id_column):
    """The last event (seq, hash) of the case in `case_id_column`, as columns of another query."""
    latest = select(Event.seq).where(Event.case_id == case_id_column).order_by(Event.seq.desc()).limit(1)
    return (latest.scalar_subquery().label("head_seq"),
            select(Event.hash).where(Event.case_id == case_id_column).order_by(Event.seq.desc()).limit(1)
            .scalar_subquery().label("head_hash"))


def remember_head(session: Session, case_id: int, seq: int | None, hash_: str | None) -> None:
    """The case's last event as read in this transaction: the next append need not query it."""
    session.info.setdefault("event_heads", {})[case_id] = (seq, hash_) if seq is not None else None


def count(session: Session, case_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.case_id == case_id)) or 0
