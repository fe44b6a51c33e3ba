"""Plain INSERTs and UPDATEs of rows written on every act (events, inbox rows, element passages,
the instance's state).

Through the session's connection (Core) rather than `session.execute(insert(Model), rows)`: the
ORM's bulk-insert path costs about twice the statement itself, and these rows are never loaded
back in the same operation. The guards the ORM path has (app/service/request_unit.py,
persistence/db.py) are kept: no write in a read, and the transaction is marked as having written
(a later act in the same request then gets its SAVEPOINT).
"""
from __future__ import annotations

import functools

from sqlalchemy import Table
from sqlalchemy.orm import Session

from persistence.db import READ_ONLY, WriteInReadOnlySession

from .request_unit import READING, WROTE


@functools.cache
def _insert(table: Table):
    # One statement object per table: a new one each time costs its cache key on every act.
    return table.insert()


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    execute_write(session, _insert(table), rows)


def execute_write(session: Session, statement, params=None):
    """A plain INSERT, UPDATE or DELETE in the session's transaction, with the ORM path's guards."""
    connection = session.connection()
    if session.info.get(READING) or connection.get_execution_options().get(READ_ONLY):
        raise WriteInReadOnlySession("write statement in a read-only operation")
    session.info[WROTE] = True
    return connection.execute(statement, params)
