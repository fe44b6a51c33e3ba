"""NEN 7513: who read personal data of which case, when, from where, and why (table toegang_log).

One row per case per access (a list page: one per case listed). The rows are kept apart from the
event log and only ever added: the service changes none, and deletes only rows past the retention
term (`expire`). Each row carries a keyed mac over all its columns, its id and moment included,
so a row changed in the database no longer verifies (`check_rows`, called by `vht verify`); rows
deleted or inserted are found by the checkpoints (`summary`).

Someone who reads a case without taking part in it (an auditor; a beheerder on an incident) gives
a reason first ("reden van inzage"); in the browser once per session and case, found here again
by the session's id (web_session.id) and the case.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from app.config import ConfigError
from persistence.models import Case, ToegangLog, User

from . import access
from .audit_key import canonical
from .context import Context
from .errors import InvalidInput
from .writes import insert_rows

_TABLE = ToegangLog.__table__

# The reasons of access a person picks from; "anders" needs a toelichting.
REASONS = {
    "kwaliteitsonderzoek": "Kwaliteitsonderzoek",
    "klacht": "Klacht of bezwaar",
    "verzoek_betrokkene": "Verzoek betrokkene (AVG)",
    "incident": "Incident of calamiteit",
    "technisch_beheer": "Technisch beheer",
    "anders": "Anders",
}
OTHER = "anders"
# Who gives a reason before reading a case they take no part in.
REASON_ROLES = {access.AUDITOR, access.ADMIN}
REASON_GIVEN = "reden van inzage"

YEARS_ENV = "VHT_TOEGANGSLOG_BEWAARJAREN"
MIN_YEARS = 5
MAX_NOTE = 500


def retention_years() -> int:
    value = os.environ.get(YEARS_ENV, "").strip() or str(MIN_YEARS)
    if not value.isdigit() or int(value) < MIN_YEARS:
        raise ConfigError(f"{YEARS_ENV} moet een geheel aantal jaren van minstens {MIN_YEARS} zijn (NEN 7513), "
                          f"niet '{value}'.")
    return int(value)


def _fields(row: ToegangLog) -> list:
    at = row.at.isoformat() if row.at is not None else None
    return [row.id, at, row.username, row.rollen, row.case_id, row.wat, row.client, row.sessie,
            bool(row.betrokken), row.doel, row.toelichting]


def row_mac(ctx: Context, row: ToegangLog) -> str:
    """JSON of every column (null apart from "None"), under the audit key."""
    return ctx.audit.mac("toegang_log", canonical(_fields(row)))


def validate_reason(doel: str | None, toelichting: str | None) -> tuple[str, str | None]:
    """The reason's code and note, or InvalidInput in Dutch."""
    doel = (doel or "").strip()
    note = (toelichting or "").strip() or None
    if doel not in REASONS:
        raise InvalidInput("Kies een reden van inzage.", {"doel": [f"Kies een van: {', '.join(REASONS.values())}."]})
    if doel == OTHER and not note:
        raise InvalidInput("Bij 'Anders' is een toelichting verplicht.",
                           {"toelichting": ["Beschrijf waarom u deze casus inziet."]})
    if note and len(note) > MAX_NOTE:
        raise InvalidInput("De toelichting is te lang.", {"toelichting": [f"Maximaal {MAX_NOTE} tekens."]})
    return doel, note


def involved(session: Session, user: User, case_ids) -> set[int]:
    """Which of these cases the user takes part in."""
    ids = [i for i in case_ids if i is not None]
    if not ids:
        return set()
    if not access.NON_CASE_ROLES & set(user.rollen or []):
        # Case roles only: such a user sees no case but those they take part in (access.py), so
        # every case they read is theirs; no query on the page view's path.
        return set(ids)
    return set(session.scalars(select(Case.id).where(Case.id.in_(ids), access.involvement_clause(user))))


def _session_reasons(session: Session, sessie: str | None, case_ids) -> dict[int, tuple[str, str | None]]:
    ids = [i for i in case_ids if i is not None]
    if not sessie or not ids:
        return {}
    rows = session.execute(select(ToegangLog.case_id, ToegangLog.doel, ToegangLog.toelichting)
                           .where(ToegangLog.sessie == sessie, ToegangLog.case_id.in_(ids),
                                  ToegangLog.doel.is_not(None)).order_by(ToegangLog.id))
    return {row.case_id: (row.doel, row.toelichting) for row in rows}


def reason_needed(session: Session, user: User, case_id: int, sessie: str | None, *, must_see: bool = True) -> bool:
    """Must this user give a reason before reading this case (in this browser session)? Not for a
    case they may not see anyway (`must_see`: the page answers 404 itself), nor one they take part in."""
    if not REASON_ROLES & set(user.rollen or []):
        return False
    if must_see and session.scalar(select(Case.id).where(Case.id == case_id, access.visible_case_clause(user))) is None:
        return False
    if involved(session, user, [case_id]):
        return False
    return case_id not in _session_reasons(session, sessie, [case_id])


def _user(session: Session, user) -> tuple[str, str, User | None]:
    if isinstance(user, User):
        return user.username, ",".join(user.rollen or []), user
    row = session.get(User, user)
    return user, ",".join(row.rollen or []) if row else "", row


def record(ctx: Context, session: Session, user, case_ids, wat: str, client: str | None, sessie: str | None,
           doel: str | None = None, toelichting: str | None = None) -> list[ToegangLog]:
    """One row per case (none listed: one row without a case), in the caller's transaction. A
    reader who takes part in no case gets the reason given in this session with each row."""
    username, rollen, row_user = _user(session, user)
    ids = list(dict.fromkeys(case_ids)) or [None]
    taking_part = involved(session, row_user, ids) if row_user is not None else set()
    reasons = {} if doel else _session_reasons(session, sessie, [i for i in ids if i not in taking_part])
    now = ctx.now()
    rows = []
    for case_id in ids:
        betrokken = case_id in taking_part if case_id is not None else not REASON_ROLES & set(rollen.split(","))
        given = (doel, toelichting) if doel else reasons.get(case_id, (None, None)) if not betrokken else (None, None)
        rows.append(ToegangLog(at=now, username=username[:80], rollen=rollen[:200], case_id=case_id, wat=wat[:200],
                               client=(client or "")[:64] or None, sessie=sessie, betrokken=betrokken,
                               doel=given[0], toelichting=(given[1] or None) and given[1][:MAX_NOTE]))
    # The mac covers the id, and a row is never updated (a trigger refuses it): the ids come first.
    for row, row_id in zip(rows, _new_ids(session, len(rows))):
        row.id = row_id
        row.mac = row_mac(ctx, row)
    # One plain INSERT for all (a list page logs up to 50 rows: the ORM's flush of them cost more
    # than the page's own queries). The rows are returned as written, not attached to the session.
    insert_rows(session, _TABLE, [{c.key: getattr(row, c.key) for c in _TABLE.columns} for row in rows])
    return rows


def _new_ids(session: Session, count: int) -> list[int]:
    """The next ids of toegang_log: from its sequence on PostgreSQL; on SQLite the highest plus
    one, which holds as a writing transaction there holds the one writer lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(text("SELECT nextval(pg_get_serial_sequence('toegang_log', 'id')) "
                                         "FROM generate_series(1, :n)"), {"n": count}))
    first = (session.scalar(select(func.max(ToegangLog.id))) or 0) + 1
    return list(range(first, first + count))


def give_reason(ctx: Context, session: Session, user: User, case_id: int, sessie: str | None, client: str | None,
                doel: str | None, toelichting: str | None) -> ToegangLog:
    doel, note = validate_reason(doel, toelichting)
    return record(ctx, session, user, [case_id], REASON_GIVEN, client, sessie, doel, note)[0]


def check_rows(ctx: Context, session: Session) -> list[tuple[int, str]]:
    """The rows whose mac does not verify: changed after writing, or written without the key."""
    findings = []
    for row in session.scalars(select(ToegangLog).order_by(ToegangLog.id).execution_options(yield_per=2000)):
        if not ctx.audit.check(row.mac, "toegang_log", canonical(_fields(row))):
            findings.append((row.id, "de regel is gewijzigd of niet met de auditsleutel geschreven "
                                     "(de controlecode klopt niet)"))
    return findings


def summary(session: Session) -> dict:
    max_id, count = session.execute(select(func.max(ToegangLog.id), func.count(ToegangLog.id))).one()
    return {"max_id": max_id or 0, "count": count or 0}


def cutoff(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def expire(ctx: Context, session: Session, now: datetime, dry_run: bool) -> int:
    """Delete (or with `dry_run` only count) the rows older than the retention term."""
    limit = cutoff(now, retention_years())
    count = session.scalar(select(func.count(ToegangLog.id)).where(ToegangLog.at < limit)) or 0
    if count and not dry_run:
        session.execute(delete(ToegangLog).where(ToegangLog.at < limit))
    return count


# --- searching the log (/audit/toegang) ------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    case_id: int | None = None
    username: str | None = None
    van: datetime | None = None  # from this moment
    tot: datetime | None = None  # before this moment


@dataclass(frozen=True)
class Found:
    rows: list  # (ToegangLog, referentie or None)
    total: int


def _where(query, filters: Filters):
    if filters.case_id is not None:
        query = query.where(ToegangLog.case_id == filters.case_id)
    if filters.username:
        query = query.where(ToegangLog.username == filters.username)
    if filters.van is not None:
        query = query.where(ToegangLog.at >= filters.van)
    if filters.tot is not None:
        query = query.where(ToegangLog.at < filters.tot)
    return query


def search(session: Session, filters: Filters, *, offset: int = 0, limit: int | None = 50) -> Found:
    """Newest first, with each row's case reference."""
    total = session.scalar(_where(select(func.count(ToegangLog.id)), filters)) or 0
    query = _where(select(ToegangLog, Case.referentie).outerjoin(Case, Case.id == ToegangLog.case_id), filters)
    query = query.order_by(ToegangLog.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return Found(rows=[(row, ref) for row, ref in session.execute(query)], total=total)


def case_by_reference(session: Session, value: str) -> int | None:
    """A case named by its number or its referentie."""
    value = value.strip()
    found = session.scalar(select(Case.id).where(func.lower(Case.referentie) == value.lower()))
    if found is None and value.isdigit() and len(value) < 12:
        found = session.scalar(select(Case.id).where(Case.id == int(value)))
    return found
