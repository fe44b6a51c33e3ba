"""Cases that wait for something outside the product: the parents' reaction, the RvdK, a date.

The werkbak lists them under "Wachten op anderen" with what they wait for (the event's name in the
diagram) and until when; the case page names each deadline the same way.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.runtime import Run, Wait
from persistence.models import Case, ProcessInstance, ProcessVersion, User

from .access import involvement_clause
from .context import Context
from .instances import load_run
from .messages import OWN_ACTIONS

# Enough for one look at the werkbak: each row costs loading a procedure's state.
LIMIT = 25
# Per database (its Context): {(instance id, its optimistic-lock version): what it waits for}. Every
# change of the state bumps the version, so an entry is never stale; it spares loading the state on
# each werkbak view.
_SEEN: dict[int, OrderedDict] = {}  # by id(ctx), dropped with the Context (which is not hashable)
_SEEN_MAX = 4096
_ENDINGS = (" verstreken", " bereikt")


@dataclass(frozen=True)
class WaitingCase:
    case: Case
    procedure: str  # the name of the procedure that waits
    messages: list[Wait]  # word from outside, by the name of its event
    timers: list[Wait]  # dates the flow waits for; the first ends the wait if no word came

    @property
    def until(self) -> datetime | None:
        return self.timers[0].due_at if self.timers else None


def outside(run: Run) -> list[Wait]:
    """What the flow stands still for: not a deadline on work going on, not the case's own actions."""
    return [w for w in run.waits() if not w.boundary and w.message not in OWN_ACTIONS]


def deadline_label(wait: Wait) -> str:
    """'Termijn definitieve VK verstreken' is what happens; the deadline itself is 'Termijn definitieve VK'."""
    for ending in _ENDINGS:
        if wait.name.endswith(ending):
            return wait.name[: -len(ending)]
    return wait.name


def _outside_of(ctx: Context, session: Session, instance_id: int, version: int) -> list[Wait]:
    seen = _SEEN.get(id(ctx))
    if seen is None:
        seen = _SEEN[id(ctx)] = OrderedDict()
        weakref.finalize(ctx, _SEEN.pop, id(ctx), None)
    key = (instance_id, version)
    if key not in seen:
        seen[key] = outside(load_run(ctx, session.get(ProcessInstance, instance_id)))
        if len(seen) > _SEEN_MAX:
            seen.popitem(last=False)
    return seen[key]


def waiting_cases(ctx: Context, session: Session, user: User, limit: int = LIMIT) -> list[WaitingCase]:
    """The running procedures of the cases `user` takes part in that wait on a message or a date,
    the soonest end of a wait first."""
    # Columns first: the state is only read for procedures that wait at all (and then remembered).
    candidates = session.execute(
        select(ProcessInstance.id, ProcessInstance.version, ProcessInstance.case_id, ProcessInstance.next_timer_at,
               ProcessInstance.waiting_messages)
        .join(Case, Case.id == ProcessInstance.case_id)
        .where(ProcessInstance.status == "running", Case.status != "afgesloten", involvement_clause(user))
        .order_by(ProcessInstance.next_timer_at.is_(None), ProcessInstance.next_timer_at, ProcessInstance.id)
    ).all()
    found: list[tuple[int, list[Wait]]] = []
    for row in candidates:
        if len(found) >= limit:
            break
        if not row.next_timer_at and not set(row.waiting_messages or []) - OWN_ACTIONS:
            continue
        waits = _outside_of(ctx, session, row.id, row.version)
        if waits:
            found.append((row.case_id, waits))
    if not found:
        return []
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_({case_id for case_id, _ in found})))}
    # The diagram each wait is in (e.g. the card's preparation inside P3), by its latest name.
    names = dict(session.execute(
        select(ProcessVersion.process_id, ProcessVersion.name)
        .where(ProcessVersion.process_id.in_({waits[0].process_id for _, waits in found}))
        .order_by(ProcessVersion.deployed_at, ProcessVersion.version)).all())
    rows = [WaitingCase(case=cases[case_id], procedure=names.get(waits[0].process_id) or waits[0].process_id,
                        messages=[w for w in waits if w.message], timers=[w for w in waits if w.due_at])
            for case_id, waits in found]
    rows.sort(key=lambda w: (w.until is None, w.until or datetime.max.replace(tzinfo=ctx.now().tzinfo), w.case.id))
    return rows
