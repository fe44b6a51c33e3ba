"""On SQLite a page that only reads does not wait behind an act that holds the writer lock
(issue 15 §4), and an operation declared as a read can never write."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import update

from persistence.db import WriteInReadOnlySession
from persistence.models import User
from tests.procedures.driver import casus


def test_reads_go_on_while_an_act_holds_the_writer_lock(sqlite_service):
    service = sqlite_service
    case = service.start_case("p0_consultatie_advies", casus(), "anna")
    writer = sqlite3.connect(service.engine.url.database, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an act in progress (e.g. one waiting for its engine run)
    results, errors = {}, []

    def read():
        try:
            started = time.perf_counter()
            results["inbox"] = service.inbox("vera", tab="rol").total
            results["case"] = service.case_view("anna", case.id).case.id
            results["seconds"] = time.perf_counter() - started
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=10)  # before: BEGIN IMMEDIATE waited for the writer (busy timeout 30 s)
    writer.execute("ROLLBACK")
    writer.close()
    reader.join()
    assert not errors, errors
    assert results["inbox"] == 1 and results["case"] == case.id
    assert results["seconds"] < 2


def test_a_read_cannot_write(sqlite_service):
    with pytest.raises(WriteInReadOnlySession):
        with sqlite_service.ctx.reading() as session:
            session.get(User, "anna").naam = "Iemand anders"
            session.flush()
    with pytest.raises(WriteInReadOnlySession):
        with sqlite_service.ctx.reading() as session:
            session.execute(update(User).where(User.username == "anna").values(naam="Iemand anders"))
    assert sqlite_service.user("anna").naam == "Anna Inbrenger"
