"""Cases that wait for something outside the product: the parents' reaction, the RvdK, a date.

The werkbak lists them under "Wachten op anderen" with what they wait for (the event's name in the
diagram) and until when; the case page names each deadline the same way.
"""
from __future__ import annotations

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


def _procedure_name(session: Session, instance: ProcessInstance, process_id: str) -> str:
    """The diagram the wait is in (a called procedure, e.g. the card's preparation inside P3)."""
    version = instance.process_version
    if process_id == version.process_id:
        return version.name or process_id
    name = session.scalar(select(ProcessVersion.name).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.deployed_at.desc()).limit(1))
    return name or process_id


def waiting_cases(ctx: Context, session: Session, user: User, limit: int = LIMIT) -> list[WaitingCase]:
    """The running procedures of the cases `user` takes part in that wait on a message or a date,
    the soonest end of a wait first."""
    # Columns first: the state is only read for procedures that wait at all.
    candidates = session.execute(
        select(ProcessInstance.id, ProcessInstance.next_timer_at, ProcessInstance.waiting_messages)
        .join(Case, Case.id == ProcessInstance.case_id)
        .where(ProcessInstance.status == "running", Case.status != "afgesloten", involvement_clause(user))
        .order_by(ProcessInstance.next_timer_at.is_(None), ProcessInstance.next_timer_at, ProcessInstance.id)
    ).all()
    found = []
    for row in candidates:
        if len(found) >= limit:
            break
        if not row.next_timer_at and not set(row.waiting_messages or []) - OWN_ACTIONS:
            continue
        instance = session.get(ProcessInstance, row.id)
        waits = outside(load_run(ctx, instance))
        if not waits:
            continue
        found.append(WaitingCase(
            case=instance.case, procedure=_procedure_name(session, instance, waits[0].process_id),
            messages=[w for w in waits if w.message], timers=[w for w in waits if w.due_at]))
    found.sort(key=lambda w: (w.until is None, w.until or datetime.max.replace(tzinfo=ctx.now().tzinfo), w.case.id))
    return found
