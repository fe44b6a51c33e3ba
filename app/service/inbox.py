"""The inbox (werkbak): a page reads a few index entries per role, whatever the number of open tasks
(keyset paging along indexes on (due_at, id) per role and per assignee, migration 0012; the count
stops at 1,000)."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, false, func, literal, or_, select, true, tuple_, union
from sqlalchemy.orm import Session, aliased

from app.engine.clock import TZ
from persistence.models import Case, HumanTask, Incident, User

from . import search
from .access import is_auditor, offered_parts
from .context import Context

TABS = ("mijn", "rol", "afgerond")
DEADLINES = ("verlopen", "binnenkort", "deze_week", "geen")
SOON_WORKING_DAYS = 2
# Far beyond any real inbox; a page number past it would make an offset the database cannot hold.
MAX_PAGE = 100_000


# Counting stops here: the page says "meer dan 1.000" rather than reading every matching row.
COUNT_CAP = 1000


class BadCursor(ValueError):
    """A page cursor that this module did not make (or of another tab or sorting)."""


@dataclass(frozen=True)
class TaskLine:
    """The columns of a task the list shows (not its documentation)."""

    id: int
    case_id: int
    process_id: str
    bpmn_id: str
    name: str
    role: str | None
    assignee: str | None
    form_key: str | None
    due_at: datetime | None
    state: str
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None


@dataclass(frozen=True)
class CaseLine:
    """The columns of a case the list shows (not its data)."""

    id: int
    referentie: str
    gemeente: str | None
    jeugdige_initialen: str | None
    status: str
    signalen: list | None


@dataclass(frozen=True)
class InboxRow:
    task: TaskLine
    case: CaseLine
    urgency: str | None  # "verlopen", "binnenkort" or None
    probleem: bool = False  # the case has an open incident (incidents.py)


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int  # counted up to COUNT_CAP; `capped` says there are more
    page: int
    per_page: int
    capped: bool = False
    next: str | None = None  # cursor of the page after this one (keyset), None on the last page
    prev: str | None = None  # cursor of the page before this one, None on the first page

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


_TASK_COLUMNS = (HumanTask.id, HumanTask.case_id, HumanTask.process_id, HumanTask.bpmn_id, HumanTask.name,
                 HumanTask.role, HumanTask.assignee, HumanTask.form_key, HumanTask.due_at, HumanTask.state,
                 HumanTask.created_at, HumanTask.completed_at, HumanTask.completed_by)
_CASE_COLUMNS = (Case.id, Case.referentie, Case.gemeente, Case.jeugdige_initialen, Case.status, Case.signalen)
# Where in those columns each order's value is (the walk's key).
_KEY_AT = {"deadline": 8, "nieuw": 10, "afgerond": 11}


@dataclass(frozen=True)
class _Order:
    """A tab's order: one column (nulls last), then the id; the key of a row is (segment, value, id)
    with segment 0 for a value and 1 for none, so each segment is one walk along an index."""

    name: str
    column: object
    descending: bool


def _order(tab: str, sort: str) -> _Order:
    if tab == "afgerond":
        return _Order("afgerond", HumanTask.completed_at, True)
    if sort == "nieuw":
        return _Order("nieuw", HumanTask.created_at, True)
    return _Order("deadline", HumanTask.due_at, False)


def _encode(order: _Order, direction: str, key: tuple) -> str:
    segment, value, id_ = key[:3]
    raw = json.dumps([order.name, direction, segment, value.isoformat() if value else None, id_])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(order: _Order, cursor: str) -> tuple[str, tuple]:
    try:
        name, direction, segment, value, id_ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = (int(segment), datetime.fromisoformat(value) if value else None, int(id_))
    except (ValueError, TypeError) as error:
        raise BadCursor("onbekende paginacursor") from error
    if name != order.name or direction not in ("na", "voor") or key[0] not in (0, 1) or (key[0] == 0) != bool(key[1]) \
            or (key[1] is not None and key[1].tzinfo is None):
        raise BadCursor("onbekende paginacursor")
    return direction, key


# The case under another name (the access clauses' own EXISTS on the case stays theirs), and the
# columns a walk reads: built once, as building them cost more than the query on every page.
_SHOWN = aliased(Case, name="shown")
_WALK_COLUMNS = (*_TASK_COLUMNS, *(getattr(_SHOWN, c.key) for c in _CASE_COLUMNS),
                 exists().where(Incident.case_id == _SHOWN.id, Incident.status == "open").label("probleem"))


def _walk(session: Session, where: list, branches: list, order: _Order, *, after: tuple | None, backward: bool,
          limit: int) -> list[tuple]:
    """Up to `limit` rows after (or, backward, before) `after` in the order, nearest first, each
    as (segment, value, id, columns): per segment and per branch (one role each) a query that
    reads its index from the bound on, with the columns the list shows (its case's, and whether
    the case has an open incident) for the rows it returns."""
    found: list[tuple] = []
    segments = (1, 0) if backward else (0, 1)
    ascending = order.descending == backward
    for segment in segments:
        if after is not None and (segment < after[0] if not backward else segment > after[0]):
            continue
        column = order.column
        keys = (column, HumanTask.id) if segment == 0 else (HumanTask.id,)
        rows: dict[int, tuple] = {}  # by id: a task found by two walks (search) is one row
        for branch in branches:
            query = select(*_WALK_COLUMNS).join(_SHOWN, _SHOWN.id == HumanTask.case_id).where(
                *where, branch, column.is_not(None) if segment == 0 else column.is_(None))
            if after is not None and after[0] == segment:
                bound = (tuple_(column, HumanTask.id), tuple_(literal(after[1], column.type), literal(after[2]))) \
                    if segment == 0 else (HumanTask.id, literal(after[2]))
                query = query.where(bound[0] > bound[1] if ascending else bound[0] < bound[1])
            query = query.order_by(*(k.asc() if ascending else k.desc() for k in keys)).limit(limit - len(found))
            rows.update((line[0], (segment, line[_KEY_AT[order.name]], line[0], line))
                        for line in session.execute(query))
        # Merge the branches' walks (each already in order).
        merged = sorted(rows.values(), key=lambda k: (k[1], k[2]) if segment == 0 else k[2], reverse=not ascending)
        found.extend(merged[:limit - len(found)])
        if len(found) >= limit:
            break
    return found


def inbox(ctx: Context, session: Session, user: User, *, tab: str = "mijn", procedure: str | None = None,
          gemeente: str | None = None, deadline: str | None = None, search: str | None = None,
          sort: str = "deadline", page: int = 1, per_page: int = 50, cursor: str | None = None) -> InboxPage:
    """One page of the werkbak. With `cursor` (a page's `next` or `prev`) the page continues from
    there along the tab's index (keyset); without it `page` counts pages from the start. The count
    stops at COUNT_CAP."""
    if tab not in TABS:
        raise ValueError(f"onbekend tabblad {tab!r}")
    order = _order(tab, sort)
    branches = [true()]
    if tab == "mijn":
        where = [HumanTask.state == "open", HumanTask.assignee == user.username]
    elif tab == "rol":
        where = [HumanTask.state == "open"]
        if not is_auditor(user):  # offered to one of the user's roles within its gemeente/organisation
            # (access.py); one walk per role, each along its own index
            where.append(HumanTask.assignee.is_(None))
            branches = offered_parts(user) or [false()]
    else:
        where = [HumanTask.state == "completed", HumanTask.completed_by == user.username]
    if procedure:
        where.append(HumanTask.process_id == procedure)
    if gemeente:
        where.append(HumanTask.case_id.in_(select(Case.id).where(Case.gemeente == gemeente)))
    now = ctx.now()
    if deadline == "verlopen":
        where.append(HumanTask.due_at < now)
    elif deadline == "binnenkort":
        where.extend((HumanTask.due_at >= now, HumanTask.due_at <= soon_limit(ctx, now)))
    elif deadline == "deze_week":
        today = now.astimezone(TZ).date()
        where.append(HumanTask.due_at <= _end_of(today + timedelta(days=6 - today.weekday())))
    elif deadline == "geen":
        where.append(HumanTask.due_at.is_(None))
    if search and search.strip():  # each way to match is a walk of its own, so each can use its index
        branches = [and_(branch, way) for branch in branches for way in search_branches(session, search)]

    # The count stops at COUNT_CAP: each walk reads at most that many rows (a union: a task found
    # two ways counts once).
    walks = [select(HumanTask.id).where(*where, branch).limit(COUNT_CAP + 1) for branch in branches]
    # (SQLite takes a LIMIT inside a UNION only in a subquery of its own.)
    counted = union(*(select(w.subquery().c.id) for w in walks)) if len(walks) > 1 else walks[0]
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0

    page = min(max(1, page), MAX_PAGE)
    prev = next_ = None
    if cursor:
        direction, bound = _decode(order, cursor)
        if direction == "voor":
            keys = _walk(session, where, branches, order, after=bound, backward=True, limit=per_page + 1)
            if len(keys) > per_page:
                keys = keys[:per_page][::-1]
                prev = _encode(order, "voor", keys[0])
            else:  # back at the start (tasks before it were done meanwhile): the first page
                keys = _walk(session, where, branches, order, after=None, backward=False, limit=per_page)
                page = 1
            next_ = _encode(order, "na", keys[-1]) if keys else None
        else:
            keys = _walk(session, where, branches, order, after=bound, backward=False, limit=per_page + 1)
            if len(keys) > per_page:
                keys = keys[:per_page]
                next_ = _encode(order, "na", keys[-1])
            prev = _encode(order, "voor", keys[0] if keys else bound)
    else:
        skip = (page - 1) * per_page
        keys = _walk(session, where, branches, order, after=None, backward=False, limit=skip + per_page + 1)[skip:]
        if len(keys) > per_page:
            keys = keys[:per_page]
            next_ = _encode(order, "na", keys[-1])
        if page > 1 and keys:
            prev = _encode(order, "voor", keys[0])

    n, m = len(_TASK_COLUMNS), len(_TASK_COLUMNS) + len(_CASE_COLUMNS)
    soon = soon_limit(ctx, now)
    rows = []
    for *_key, line in keys:
        task, case = TaskLine(*line[:n]), CaseLine(*line[n:m])
        rows.append(InboxRow(task, case, urgency(ctx, task, now, soon), bool(line[m])))
    return InboxPage(rows=rows, total=min(total, COUNT_CAP), page=page, per_page=per_page,
                     capped=total > COUNT_CAP, next=next_, prev=prev)


def search_branches(session: Session, text: str) -> list:
    """The ways a task matches a search: its case's reference or the child's initials contain
    `text`, or its own name does (any case); each through an index (search.py)."""
    return [HumanTask.case_id.in_(search.cases_matching(session, text)), search.task_name_matches(session, text)]
