"""One request, one unit of work (app/service/request_unit.py, app/web/unit_of_work.py): what a
person notices when part of a request fails, the seals and PDFs that come with the one commit,
SQLite's reads beside a writer, and a database connection that died in the pool."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from app.service import InvalidInput
from persistence.db import make_engine
from persistence.models import Event, ToegangLog
from tests.api.helpers import ApiApp
from tests.procedures.driver import casus
from tests.procedures.gesprek_steps import cab

P0 = "p0_consultatie_advies"
CAB = cab("interventiegesprek")


def cab_task(service):
    case = service.start_case(P0, casus(), "anna")
    return case, next(t for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_CabHouden")


def events(service, case_id: int) -> int:
    with service.ctx.reading() as session:
        return session.scalar(select(func.count(Event.id)).where(Event.case_id == case_id))


def test_a_request_that_fails_after_its_act_saves_nothing(service, monkeypatch):
    api = ApiApp(service)
    vera = api.as_("vera")
    case, task = cab_task(service)
    before = events(service, case.id)

    def broken(*_args):
        raise RuntimeError("the next task could not be read")

    monkeypatch.setattr(service, "next_task_for", broken)
    response = vera.post(f"/api/tasks/{task.id}/complete", json=CAB)

    assert response.status_code == 500 and response.get_json()["code"] == "interne_fout"
    assert service.task(task.id).state == "open"  # before: completed, while the answer said 500
    assert events(service, case.id) == before
    monkeypatch.undo()
    done = vera.post(f"/api/tasks/{task.id}/complete", json=CAB)  # and may simply be sent again
    assert done.status_code == 200 and service.task(task.id).state == "completed"


def test_a_refused_act_keeps_what_the_request_wrote_before_it(service):
    case, task = cab_task(service)
    before = events(service, case.id)
    unit = service.ctx.request(writes=True)
    try:
        service.log_access("vera", [case.id], "eerst gelezen", None, None)
        with pytest.raises(InvalidInput):
            service.complete_task(task.id, {"advies_tekst": ""}, "vera")
        service.claim(task.id, "vera")  # the request goes on after the refusal
        unit.finish()
    finally:
        unit.abort()
    with service.ctx.reading() as session:
        assert session.scalar(select(func.count(ToegangLog.id)).where(ToegangLog.wat == "eerst gelezen")) == 1
    assert service.task(task.id).state == "open" and service.task(task.id).assignee == "vera"
    assert events(service, case.id) == before + 1  # the claim; nothing of the refused completion
    assert service.verify(case.id, replay=False).ok


def test_an_api_completion_is_sealed_in_its_own_commit(service):
    vera = ApiApp(service).as_("vera")
    case, task = cab_task(service)
    assert vera.post(f"/api/tasks/{task.id}/complete", json=CAB).status_code == 200
    report = service.verify(case.id)
    assert report.ok, report.as_dict()


def test_a_lost_race_in_one_request_is_409_and_saves_nothing(service):
    """Two acts on one case: the second request's act finds the version it read changed."""
    api = ApiApp(service)
    vera = api.as_("vera")
    case, task = cab_task(service)
    from app.service import tasks as task_service

    original = task_service._open_task

    def complete_in_between(session, task_id):
        found = original(session, task_id)
        if not getattr(complete_in_between, "done", False):
            complete_in_between.done = True
            thread = threading.Thread(target=lambda: service.complete_task(task.id, CAB, "vera"))
            if service.engine.dialect.name == "postgresql":  # SQLite: the other waits for our lock
                thread.start()
                thread.join()
        return found

    task_service._open_task = complete_in_between
    try:
        response = vera.post(f"/api/tasks/{task.id}/complete", json=CAB)
    finally:
        task_service._open_task = original
    if service.engine.dialect.name == "postgresql":
        assert response.status_code == 409
        assert response.get_json()["bericht"].startswith("Iemand anders heeft deze casus net gewijzigd")
        assert [e.type for e in service.case_history(case.id)].count("task_completed") == 1
    else:
        assert response.status_code == 200


def test_sqlite_a_reading_request_does_not_wait_for_a_writer(sqlite_service):
    service = sqlite_service
    case, _ = cab_task(service)
    writer = sqlite3.connect(service.engine.url.database, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an act of another process in progress
    found, errors = {}, []

    def page():
        unit = service.ctx.request(writes=False)
        try:
            started = time.perf_counter()
            found["inbox"] = service.inbox("vera", tab="rol").total
            found["case"] = service.case_view("anna", case.id).case.id
            found["seconds"] = time.perf_counter() - started
            found["read"] = True
            while not found.get("released"):
                time.sleep(0.01)
            service.log_access("anna", [case.id], "casuspagina", None, None)  # the write waits its turn
            unit.finish()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            unit.abort()

    thread = threading.Thread(target=page)
    thread.start()
    deadline = time.monotonic() + 10
    while not found.get("read") and not errors and time.monotonic() < deadline:
        time.sleep(0.01)
    assert found.get("read"), errors  # read while the writer still held the lock
    writer.execute("ROLLBACK")
    writer.close()
    found["released"] = True
    thread.join(30)
    assert not errors, errors
    assert found["inbox"] == 1 and found["case"] == case.id and found["seconds"] < 2


def test_sqlite_a_writing_request_takes_the_writer_lock_with_its_first_read(sqlite_service):
    """No upgrade of a read snapshot later (that fails when another writer committed meanwhile)."""
    service = sqlite_service
    unit = service.ctx.request(writes=True)
    try:
        service.user("anna")
        other = sqlite3.connect(service.engine.url.database, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    finally:
        unit.abort()


@pytest.mark.postgres
@pytest.mark.parametrize("ping_after", ["0", "30"])
def test_postgres_a_connection_killed_in_the_pool_is_replaced(request, clock, monkeypatch, ping_after):
    """The pool does not ping on every checkout: a connection idle longer than VHT_DB_PING_AFTER
    is tested first (the request does not notice); one killed while in steady use fails one
    request (500), after which the pool has dropped the dead connections."""
    from tests.conftest import FORMS, PROCESSES, _clean_pg
    from app.service import Service

    url = request.getfixturevalue("pg_database")
    _clean_pg(url)
    monkeypatch.setenv("VHT_DB_PING_AFTER", ping_after)
    service = Service(url, PROCESSES, FORMS, clock=clock)
    try:
        vera = ApiApp(service).as_("vera")
        assert vera.get("/api/tasks").status_code == 200
        admin = create_engine(url, poolclass=__import__("sqlalchemy.pool", fromlist=["NullPool"]).NullPool)
        with admin.connect() as connection:
            killed = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        admin.dispose()
        assert killed >= 1
        statuses = [vera.get("/api/tasks").status_code for _ in range(2)]
        if ping_after == "0":
            assert statuses == [200, 200]
        else:
            assert statuses in ([500, 200], [200, 200]), statuses
    finally:
        service.engine.dispose()


def test_pool_settings_are_checked(monkeypatch):
    monkeypatch.setenv("VHT_DB_POOL_SIZE", "nul")
    with pytest.raises(ValueError, match="VHT_DB_POOL_SIZE moet een geheel getal"):
        make_engine("postgresql://postgres@127.0.0.1:5432/test")
