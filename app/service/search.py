"""Searching cases and tasks by what people type: a case's reference or the child's initials, a
task's name; "contains", ignoring case, on both databases.

PostgreSQL finds the rows through trigram indexes on lower(column) (migration 0012), which
`lower(column) LIKE '%term%'` uses. SQLite has FTS5 tables with the trigram tokenizer, kept equal
to the rows by triggers (migration 0015): a term of three characters or more is a phrase query on
them (a task-name term found in more than COMMON_NAME tasks tests the names along the tab's walk
instead). A shorter term (no trigram to look up), or a SQLite without FTS5, reads the rows.
"""
from __future__ import annotations

from sqlalchemy import column, func, literal_column, or_, select, table
from sqlalchemy.orm import Session

from persistence.models import Case, HumanTask

_ZOEK_CASUS = table("zoek_casus", column("rowid"))
_ZOEK_TAAK = table("zoek_taak", column("rowid"))


def cases_matching(session: Session, text: str):
    """SELECT of the ids of the cases whose reference or initials contain `text`."""
    needle = _needle(text)
    if _indexed(session, needle):
        return select(_ZOEK_CASUS.c.rowid).where(literal_column("zoek_casus").op("MATCH")(_phrase(needle)))
    term = _like(needle)
    return select(Case.id).where(or_(func.lower(Case.referentie).like(term, escape="\\"),
                                     func.lower(Case.jeugdige_initialen).like(term, escape="\\")))


# Task names are few words repeated over many tasks: a term in many of them ("gesprek") is found
# sooner by walking the tab's index and testing each name than by listing every match first.
COMMON_NAME = 1000


def task_name_matches(session: Session, text: str):
    """A WHERE clause on HumanTask: its name contains `text`."""
    needle = _needle(text)
    if _indexed(session, needle):
        ids = session.scalars(select(_ZOEK_TAAK.c.rowid).where(
            literal_column("zoek_taak").op("MATCH")(_phrase(needle))).limit(COMMON_NAME + 1)).all()
        if len(ids) <= COMMON_NAME:
            return HumanTask.id.in_(ids)
    return func.lower(HumanTask.name).like(_like(needle), escape="\\")


def _needle(text: str) -> str:
    return (text or "").strip().lower()


def _like(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phrase(needle: str) -> str:
    # One FTS5 string: every character in it is literal, a double quote written twice.
    return '"' + needle.replace('"', '""') + '"'


def _indexed(session: Session, needle: str) -> bool:
    """SQLite with the FTS5 tables, and a term the trigrams can find."""
    if len(needle) < 3:
        return False
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return False
    known = connection.info.get("vht_fts")  # per database connection: asked once
    if known is None:
        known = connection.info["vht_fts"] = connection.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('zoek_casus', 'zoek_taak')").scalar() == 2
    return known
