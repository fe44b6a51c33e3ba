"""The inbox (werkbak): one indexed query per page, whatever the number of open tasks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from persistence.models import Case, HumanTask, User

from .access import is_auditor, visible_task_clause
from .context import Context

TABS = ("mijn", "rol", "afgerond")
DEADLINES = ("verlopen", "binnenkort", "deze_week", "geen")
SOON_WORKING_DAYS = 2
# Far beyond any real inbox; a page number past it would make an offset the database cannot hold.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class InboxRow:
    task: HumanTask
    case: Case
    urgency: str | None  # "verlopen", "binnenkort" or None
    probleem: bool = False  # the case has an open incident (incidents.py)


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), TZ)


def soon_limit(ctx: Context, now: datetime) -> datetime:
    """The end of the 2nd working day from today: due before it means 'binnenkort'."""
    today = now.astimezone(TZ).date()
    return _end_of(ctx.kalender.werkdagen_na(today, SOON_WORKING_DAYS))


def urgency(ctx: Context, task: HumanTask, now: datetime, soon: datetime | None = None) -> str | None:
    if task.state != "open" or task.due_at is None:
        return None
    if task.due_at < now:
        return "verlopen"
    if task.due_at <= (soon or soon_limit(ctx, now)):
        return "binnenkort"
    return None


def inbox(ctx: Context, session: Session, user: User, *, tab: str = "mijn", procedure: str | None = None,
          gemeente: str | None = None, deadline: str | None = None, search: str | None = None,
          sort: str = "deadline", page: int = 1, per_page: int = 50) -> InboxPage:
    if tab not in TABS:
        raise ValueError(f"onbekend tabblad {tab!r}")
    query = select(HumanTask, Case).join(Case, Case.id == HumanTask.case_id)
    if tab == "mijn":
        query = query.where(HumanTask.state == "open", HumanTask.assignee == user.username)
    elif tab == "rol":
        if is_auditor(user):
            query = query.where(HumanTask.state == "open")
        else:  # offered to one of the user's roles within its gemeente/organisation (access.py); a
            # subquery of its own, as the clause looks at the case (no correlation with the join here)
            offered = (select(HumanTask.id).where(HumanTask.assignee.is_(None), visible_task_clause(user))
                       .correlate(None))
            query = query.where(HumanTask.state == "open", HumanTask.assignee.is_(None), HumanTask.id.in_(offered))
    else:
        query = query.where(HumanTask.state == "completed", HumanTask.completed_by == user.username)
    if procedure:
        query = query.where(HumanTask.process_id == procedure)
    if gemeente:
        query = query.where(Case.gemeente == gemeente)
    now = ctx.now()
    if deadline == "verlopen":
        query = query.where(HumanTask.due_at < now)
    elif deadline == "binnenkort":
        query = query.where(HumanTask.due_at >= now, HumanTask.due_at <= soon_limit(ctx, now))
    elif deadline == "deze_week":
        today = now.astimezone(TZ).date()
        query = query.where(HumanTask.due_at <= _end_of(today + timedelta(days=6 - today.weekday())))
    elif deadline == "geen":
        query = query.where(HumanTask.due_at.is_(None))
    if search:
        term = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(Case.referentie).like(term), func.lower(Case.jeugdige_initialen).like(term),
                                func.lower(HumanTask.name).like(term)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if tab == "afgerond":
        query = query.order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
    elif sort == "nieuw":
        query = query.order_by(HumanTask.created_at.desc(), HumanTask.id.desc())
    else:
        query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    page = min(max(1, page), MAX_PAGE)
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    soon = soon_limit(ctx, now)
    from .incidents import open_case_ids  # incidents imports the instances module, which this one must not

    problems = open_case_ids(session, {case.id for _, case in rows})
    return InboxPage(
        rows=[InboxRow(task, case, urgency(ctx, task, now, soon), case.id in problems) for task, case in rows],
        total=total, page=page, per_page=per_page,
    )
