"""Plain INSERTs of rows written on every act (events, inbox rows, element passages).

Through the session's connection (Core) rather than `session.execute(insert(Model), rows)`: the
ORM's bulk-insert path costs about twice the statement itself, and these rows are never loaded
back in the same operation. The guards the ORM path has (app/service/request_unit.py,
persistence/db.py) are kept: no write in a read, and the transaction is marked as having written
(a later act in the same request then gets its SAVEPOINT).
"""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.orm import Session

from persistence.db import READ_ONLY, WriteInReadOnlySession

from .request_unit import READING, WROTE


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    connection = session.connection()
    if session.info.get(READING) or connection.get_execution_options().get(READ_ONLY):
        raise WriteInReadOnlySession("write statement in a read-only operation")
    session.info[WROTE] = True
    connection.execute(table.insert(), rows)
