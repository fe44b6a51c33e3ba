"""Cases that wait for something outside the product: the parents' reaction, the RvdK, a date.

The werkbak lists them under "Wachten op anderen" with what they wait for (the event's name in the
diagram) and until when; the case page names each deadline the same way.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from app.engine.runtime import Run, Wait
from persistence.models import Case, CaseMember, HumanTask, ProcessInstance, ProcessVersion, User

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
    # Open tasks of others in a case of the user's own (e.g. the RvdK's judgement): not the user's to do.
    tasks: list[HumanTask] = field(default_factory=list)

    @property
    def until(self) -> datetime | None:
        if self.timers:
            return self.timers[0].due_at
        return min((t.due_at for t in self.tasks if t.due_at), default=None)


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


def _others_tasks(user: User):
    """Open tasks in the user's own cases (inbrenger or member) that someone else is to do."""
    own = or_(Case.inbrenger == user.username,
              exists().where(CaseMember.case_id == Case.id, CaseMember.username == user.username))
    offered_to_me = HumanTask.assignee.is_(None) & HumanTask.role.in_(list(user.rollen or []))
    return (select(HumanTask).join(Case, Case.id == HumanTask.case_id)
            .where(HumanTask.state == "open", Case.status != "afgesloten", own,
                   or_(HumanTask.assignee.is_(None), HumanTask.assignee != user.username), ~offered_to_me)
            .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id))


def waiting_cases(ctx: Context, session: Session, user: User, limit: int = LIMIT) -> list[WaitingCase]:
    """The cases `user` takes part in whose procedure waits on a message or a date, and the user's
    own cases with a task for someone else (the RvdK's judgement); the soonest end of a wait first."""
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
    others: dict[int, list[HumanTask]] = {}
    for task in session.scalars(_others_tasks(user).limit(limit * 4)):
        others.setdefault(task.case_id, []).append(task)
    if not found and not others:
        return []
    wanted = {case_id for case_id, _ in found} | set(others)
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(wanted)))}
    # The diagram each wait is in (e.g. the card's preparation inside P3), by its latest name.
    names = dict(session.execute(
        select(ProcessVersion.process_id, ProcessVersion.name)
        .where(ProcessVersion.process_id.in_({waits[0].process_id for _, waits in found}
                                             | {tasks[0].process_id for tasks in others.values()}))
        .order_by(ProcessVersion.deployed_at, ProcessVersion.version)).all())
    rows = [WaitingCase(case=cases[case_id], procedure=names.get(waits[0].process_id) or waits[0].process_id,
                        messages=[w for w in waits if w.message], timers=[w for w in waits if w.due_at],
                        tasks=others.pop(case_id, []))
            for case_id, waits in found]
    rows += [WaitingCase(case=cases[case_id], procedure=names.get(tasks[0].process_id) or tasks[0].process_id,
                         messages=[], timers=[], tasks=tasks) for case_id, tasks in others.items()]
    rows.sort(key=lambda w: (w.until is None, w.until or datetime.max.replace(tzinfo=ctx.now().tzinfo), w.case.id))
    return rows[:limit]
