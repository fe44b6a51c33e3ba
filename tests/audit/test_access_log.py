"""The access log's rows (app/service/access_log.py): one per case, each with a keyed mac that a
change to any column breaks; the retention term; on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.config import ConfigError
from app.service import access_log
from app.service.errors import InvalidInput
from persistence.models import ToegangLog, User
from tests.procedures.driver import casus

P0 = "p0_consultatie_advies"


@pytest.fixture
def people(service):
    service.upsert_user("ahmed", "Ahmed Auditor", ["auditor"])
    return service


def _record(service, username, case_ids, **kwargs):
    with service.ctx.transaction() as session:
        user = session.get(User, username)
        made = access_log.record(service.ctx, session, user, case_ids, kwargs.pop("wat", "casuspagina"),
                                 kwargs.pop("client", "10.1.2.3"), kwargs.pop("sessie", None), **kwargs)
        return [row.id for row in made]


def _rows(service):
    with service.ctx.reading() as session:
        return list(session.scalars(select(ToegangLog).order_by(ToegangLog.id)))


def _tamper(service, sql: str) -> None:
    """What someone with database access does: lift the append-only guard, change, put it back."""
    with service.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER toegang_log_no_update"))
            connection.execute(text(sql))
            connection.execute(text("CREATE TRIGGER toegang_log_no_update BEFORE UPDATE ON toegang_log "
                                    "BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END"))
        else:
            connection.execute(text("ALTER TABLE toegang_log DISABLE TRIGGER toegang_log_append_only"))
            connection.execute(text(sql))
            connection.execute(text("ALTER TABLE toegang_log ENABLE TRIGGER toegang_log_append_only"))


def test_rows_per_case_involvement_and_macs(people):
    service = people
    mine = service.start_case(P0, casus(), "anna").id
    other = service.start_case(P0, casus(), "anna").id
    ids = _record(service, "anna", [mine, other, mine], wat="casuslijst")
    assert len(ids) == 2  # one row per case, also when listed twice
    ahmed = _record(service, "ahmed", [mine], sessie="s1", doel="klacht", toelichting="Brief van moeder")
    rows = _rows(service)
    assert [(r.case_id, r.betrokken, r.doel) for r in rows] == [(mine, True, None), (other, True, None),
                                                                (mine, False, "klacht")]
    assert rows[2].id == ahmed[0] and rows[2].rollen == "auditor" and rows[2].client == "10.1.2.3"
    with service.ctx.reading() as session:
        assert access_log.check_rows(service.ctx, session) == []
        assert access_log.summary(session) == {"max_id": rows[-1].id, "count": 3}
    with pytest.raises(Exception):  # the table refuses updates: rows are only added
        with service.engine.begin() as connection:
            connection.execute(text("UPDATE toegang_log SET wat = 'x'"))


@pytest.mark.parametrize("column, value", [("username", "'vera'"), ("at", None), ("case_id", "case_id + 1"),
                                           ("betrokken", None), ("doel", "'incident'"),
                                           ("mac", "'z' || substr(mac, 2)")])
def test_a_changed_row_is_found(people, column, value):
    service = people
    case_id = service.start_case(P0, casus(), "anna").id
    _record(service, "anna", [case_id])
    target = _record(service, "ahmed", [case_id], doel="klacht")[0]
    if column == "at":
        moment = (service.ctx.now() - timedelta(days=3)).replace(tzinfo=None).isoformat(sep=" ")
        value = f"'{moment}'"
    if column == "betrokken":
        value = "TRUE" if service.engine.dialect.name == "postgresql" else "1"
    _tamper(service, f"UPDATE toegang_log SET {column} = {value} WHERE id = {target}")
    with service.ctx.reading() as session:
        findings = access_log.check_rows(service.ctx, session)
    assert [row_id for row_id, _ in findings] == [target]
    assert "gewijzigd" in findings[0][1]


def test_a_row_moved_to_another_id_is_found(people):
    service = people
    case_id = service.start_case(P0, casus(), "anna").id
    first, second = _record(service, "anna", [case_id]) + _record(service, "anna", [case_id])
    _tamper(service, f"UPDATE toegang_log SET id = {second + 10} WHERE id = {second}")
    with service.ctx.reading() as session:
        assert [row_id for row_id, _ in access_log.check_rows(service.ctx, session)] == [second + 10]


def test_the_reason_must_be_known_and_other_needs_a_note():
    assert access_log.validate_reason("anders", " Steekproef ") == ("anders", "Steekproef")
    with pytest.raises(InvalidInput) as refused:
        access_log.validate_reason("anders", "  ")
    assert refused.value.message == "Bij 'Anders' is een toelichting verplicht."
    with pytest.raises(InvalidInput):
        access_log.validate_reason("nieuwsgierig", None)


def test_reason_needed_once_per_session_and_case(people):
    service = people
    case_id = service.start_case(P0, casus(), "anna").id
    assert not service.access_reason_needed("anna", case_id, "s1")  # she takes part
    assert service.access_reason_needed("ahmed", case_id, "s1")
    service.give_access_reason("ahmed", case_id, "s1", "10.0.0.9", "technisch_beheer", None)
    assert not service.access_reason_needed("ahmed", case_id, "s1")
    assert service.access_reason_needed("ahmed", case_id, "s2")
    assert service.access_reason_needed("ahmed", case_id, None)  # the API: every read
    assert not service.access_reason_needed("ahmed", 999_999, "s1")  # no such case: the page says 404


def test_retention_term_default_minimum_and_expiry(people, monkeypatch):
    service = people
    case_id = service.start_case(P0, casus(), "anna").id
    _record(service, "anna", [case_id])
    now = service.ctx.now()
    monkeypatch.delenv(access_log.YEARS_ENV, raising=False)
    assert access_log.retention_years() == 5
    monkeypatch.setenv(access_log.YEARS_ENV, "4")
    with pytest.raises(ConfigError, match="minstens 5"):
        access_log.retention_years()
    monkeypatch.setenv(access_log.YEARS_ENV, "7")
    with service.ctx.transaction() as session:
        assert access_log.expire(service.ctx, session, now + timedelta(days=365 * 7 - 2), dry_run=False) == 0
        assert access_log.expire(service.ctx, session, now + timedelta(days=365 * 7 + 3), dry_run=True) == 1
    assert len(_rows(service)) == 1  # a dry run deletes nothing
    with service.ctx.transaction() as session:
        assert access_log.expire(service.ctx, session, now + timedelta(days=365 * 7 + 3), dry_run=False) == 1
    assert _rows(service) == []


def test_vht_verify_names_a_changed_row(people):
    service = people
    case_id = service.start_case(P0, casus(), "anna").id
    (target,) = _record(service, "ahmed", [case_id], doel="klacht")
    # Only the access log's findings: on PostgreSQL a test before may leave other process versions.
    assert not [f for f in service.verify(replay=False).findings if f.startswith("toegangslog")]
    _tamper(service, f"UPDATE toegang_log SET toelichting = 'achteraf' WHERE id = {target}")
    report = service.verify(replay=False)
    assert not report.ok
    assert [f for f in report.findings if f.startswith("toegangslog")] == \
        [f"toegangslog regel {target}: de regel is gewijzigd of niet met de auditsleutel geschreven "
         "(de controlecode klopt niet)"]


def test_rows_deleted_before_a_checkpoint_are_found_and_the_lawful_expiry_is_not(people, monkeypatch):
    service = people
    case_id = service.start_case(P0, casus(), "anna").id
    _record(service, "ahmed", [case_id], doel="klacht")
    second = _record(service, "anna", [case_id])
    service.write_checkpoint("test")
    _tamper(service, f"DELETE FROM toegang_log WHERE id = {second[0]}")
    findings = [f for f in service.verify(replay=False).findings if f.startswith("toegangslog")]
    assert findings == ["toegangslog: 1 regel(s) van voor het laatste controlepunt zijn verwijderd"]

    # The term's own deletion writes a new checkpoint: what is gone then was meant to go.
    monkeypatch.setenv(access_log.YEARS_ENV, "5")
    service.ctx.clock.advance(timedelta(days=365 * 5 + 3))
    assert service.expire_access_log(dry_run=True) == 1
    assert service.expire_access_log(dry_run=False) == 1
    assert not [f for f in service.verify(replay=False).findings if f.startswith("toegangslog")]
