"""Correcting case data (issue 11 section 2), on SQLite and PostgreSQL.

The stuck case: `correctie_vervolg` waits a day, then opens "Opvolgen" with the deadline
`einde_dag(vervolgdatum)`. A case whose vervolgdatum came in as "10-03-2026" (a Dutch date from an
import, written straight into the stored state, as a data migration could) makes the timer fail when
the task is projected: a timer incident. The beheerder corrects the value through the service (the
start form defines `vervolgdatum` as a date), retries, and the case moves on and replays identically.
Own diagrams and database (correction_fixtures/), so other worker tests never list this procedure.
"""
from __future__ import annotations

import json
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text, update

from app.engine.clock import TZ, FixedClock
from app.service import Service
from app.service.errors import CaseProblem, InvalidInput, NotFound, PermissionDenied
from persistence.models import ProcessInstance
from tests.conftest import PG_ADMIN_URL, TEST_USERS, _clean_pg

HERE = Path(__file__).resolve().parent
PROCESSES = HERE / "correction_fixtures" / "processes"
FORMS = HERE / "correction_fixtures" / "forms"
START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
LATER = START + timedelta(days=1, minutes=1)


def _prepare(url: str) -> None:
    service = Service(url, PROCESSES, FORMS, clock=FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ)))
    service.init_db()
    service.deploy(reden="testopzet")
    for username, naam, rollen, gemeente in TEST_USERS:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, email=f"{username}@example.org")
    service.upsert_user("bea", "Bea Beheerder", ["beheerder"], email="bea@example.org")
    service.upsert_user("piet", "Piet Procesbeheerder", ["procesbeheerder"], email="piet@example.org")
    service.engine.dispose()


@pytest.fixture(scope="session")
def correction_sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("correction_db") / "template.sqlite"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def correction_pg_url(request) -> str:
    request.getfixturevalue("pg_database")  # skips, or fails when CI=true, if PostgreSQL does not answer
    name = f"vht_test_correction_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _prepare(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def correction_db(request, tmp_path) -> str:
    if request.param == "postgres":
        url = request.getfixturevalue("correction_pg_url")
        _clean_pg(url)
        return url
    path = tmp_path / "correction.sqlite"
    shutil.copy(request.getfixturevalue("correction_sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def service(correction_db, clock) -> Service:
    service = Service(correction_db, PROCESSES, FORMS, clock=clock)
    yield service
    service.engine.dispose()


def _stuck(service, clock):
    """A case whose timer failed on the imported date: (case, instance id, incident)."""
    case = service.start_case("correctie_vervolg", {"omschrijving": "import", "vervolgdatum": "2026-03-10"}, "anna")
    (instance,) = service.case(case.id).instances
    with service.ctx.transaction() as session:
        state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance.id))
        new = state.replace('"vervolgdatum": "2026-03-10"', '"vervolgdatum": "10-03-2026"')
        assert new != state
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(state=new))
    clock.advance(timedelta(days=1, minutes=1))
    (result,) = service.fire_due_timers(LATER)
    assert result.error and "de beheerder is ingelicht" in result.error
    (row,) = service.incidents("bea")
    assert (row.incident.kind, row.incident.element_id) == ("timer", "Task_Opvolgen")
    assert row.incident.data_seen["vervolgdatum"] == "10-03-2026"
    return case, instance.id, row.incident


def test_a_corrected_date_lets_the_retried_timer_move_the_case_on_and_replay_stays_identical(service, clock):
    case, instance_id, incident = _stuck(service, clock)
    with pytest.raises(CaseProblem):  # the data is still wrong: a retry alone does not help
        service.retry_incident(incident.id, "bea", "nog eens")

    # The choices on the incident page: the version's form fields, the ones the case holds first.
    choices = service.correction_choices(incident.id, "bea")
    assert [c.name for c in choices if c.present] == ["omschrijving", "vervolgdatum"]
    assert {c.name for c in choices} == {"omschrijving", "vervolgdatum", "aantal_kinderen", "akkoord"}
    assert next(c for c in choices if c.name == "vervolgdatum").current == "10-03-2026"

    result = service.correct_incident_data(incident.id, "vervolgdatum", "2026-03-10", "bea",
                                           "Datum kwam in Nederlandse notatie uit de import")
    assert result.before == {"Timer_Dag": "10-03-2026"} and result.after == "2026-03-10"
    assert result.elements == ["Timer_Dag"]
    event = service.case_history(case.id)[-1]
    assert event.type == "gegevens_gecorrigeerd" and event.actor == "bea"
    assert event.data["veld"] == "vervolgdatum" and event.data["voor"] == {"Timer_Dag": "10-03-2026"}
    assert event.data["na"] == "2026-03-10" and event.data["incident"] == incident.id
    assert event.data["reden"] == "Datum kwam in Nederlandse notatie uit de import"
    assert service.replay_case(case.id).identical  # the correction re-applied at its point

    assert service.retry_incident(incident.id, "bea", "vervolgdatum gecorrigeerd").resolved
    (task,) = service.tasks(case_id=case.id)
    assert task.bpmn_id == "Task_Opvolgen" and task.assignee == "anna"
    assert task.due_at.astimezone(timezone.utc) == datetime(2026, 3, 10, 23, 59, 59, tzinfo=TZ).astimezone(timezone.utc)
    types = [e.type for e in service.case_history(case.id)]
    assert types[-3:] == ["gegevens_gecorrigeerd", "timer_fired", "reparatie"]
    report = service.replay_case(case.id)
    assert report.identical, report.reason
    service.complete_task(task.id, {"akkoord": True}, "anna")
    assert service.case(case.id).instances[0].status == "completed"
    assert service.replay_case(case.id).identical


def test_corrections_are_refused_in_dutch(service, clock):
    case, instance_id, incident = _stuck(service, clock)
    with pytest.raises(InvalidInput) as unknown:
        service.correct_data(case.id, instance_id, "inbrenger", "bram", "bea", "andere inbrenger")
    assert "staat in geen formulier van correctie_vervolg versie 1" in unknown.value.message
    with pytest.raises(InvalidInput) as bad_date:
        service.correct_data(case.id, instance_id, "vervolgdatum", "volgende week", "bea", "datum")
    assert "'Vervolgdatum' is niet geldig" in bad_date.value.message
    assert bad_date.value.errors["waarde"]
    with pytest.raises(InvalidInput) as bad_number:  # per field: a number out of its bounds
        service.correct_data(case.id, instance_id, "aantal_kinderen", "25", "bea", "telfout")
    assert "'Aantal kinderen' is niet geldig" in bad_number.value.message
    with pytest.raises(InvalidInput) as empty:
        service.correct_data(case.id, instance_id, "vervolgdatum", " ", "bea", "leeg")
    assert empty.value.message == "Geef een nieuwe waarde op."
    with pytest.raises(InvalidInput) as no_reason:
        service.correct_data(case.id, instance_id, "vervolgdatum", "2026-03-10", "bea", "  ")
    assert "reden" in no_reason.value.message
    for not_admin in ("anna", "piet"):  # the procesbeheerder may retry, not change a case's data
        with pytest.raises(PermissionDenied):
            service.correct_data(case.id, instance_id, "vervolgdatum", "2026-03-10", not_admin, "mag niet")
    with pytest.raises(NotFound):
        service.correct_data(case.id + 1, instance_id, "vervolgdatum", "2026-03-10", "bea", "andere casus")
    assert service.case_history(case.id)[-1].type != "gegevens_gecorrigeerd"  # nothing recorded

    # The date first: the state the SQL update made differs from the history until it is corrected
    # (replay would rightly report the state before this correction as not following from the events).
    service.correct_data(case.id, instance_id, "vervolgdatum", "2026-03-10", "bea", "import")
    # Text that is JSON, as the command line and the web form send it: a number.
    assert service.correct_data(case.id, instance_id, "aantal_kinderen", "3", "bea", "geteld").after == 3

    # A finished instance is not corrected.
    service.retry_incident(incident.id, "bea", "gecorrigeerd")
    (task,) = service.tasks(case_id=case.id)
    service.complete_task(task.id, {"akkoord": False}, "anna")
    with pytest.raises(InvalidInput) as finished:
        service.correct_data(case.id, instance_id, "vervolgdatum", "2026-03-11", "bea", "te laat")
    assert "loopt niet meer" in finished.value.message
    assert service.replay_case(case.id).identical
    # The deploy preview re-runs the history with the corrections too (replay.apply_event).
    from app.service.preview import preview_process

    with service.ctx.reading() as session:
        version = service.process_version("correctie_vervolg")
        spec, subs = service.ctx.specs.get(version)
        preview = preview_process(service.ctx, session, "correctie_vervolg", spec, subs)
    assert (preview.cases, preview.rows) == (1, [])


def test_the_cli_corrects_with_a_json_value(service, clock, correction_db):
    from app.cli import main

    case, instance_id, incident = _stuck(service, clock)
    env = {"DATABASE_URL": correction_db, "VHT_PROCESSES_DIR": str(PROCESSES), "VHT_FORMS_DIR": str(FORMS)}
    refused = CliRunner().invoke(main, ["correct", str(case.id), str(instance_id), "vervolgdatum", "2026-03-10",
                                        "--as", "anna", "--reden", "x"], env=env)
    assert refused.exit_code != 0 and "beheerder" in refused.output
    done = CliRunner().invoke(main, ["correct", str(case.id), str(instance_id), "vervolgdatum", '"2026-03-10"',
                                     "--as", "bea", "--reden", "importfout"], env=env)
    assert done.exit_code == 0, done.output
    assert '"10-03-2026"' in done.output and '"2026-03-10"' in done.output
    assert json.loads(json.dumps(service.case_history(case.id)[-1].data))["na"] == "2026-03-10"
    assert service.retry_incident(incident.id, "bea", "via de opdrachtregel gecorrigeerd").resolved
    assert service.replay_case(case.id).identical
