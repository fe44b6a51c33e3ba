"""An engine upgrade: cases stored in an older format load, run on, replay, and `vht upgrade` checks
and rewrites them; on SQLite and PostgreSQL."""
import json
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Date, create_engine, text

from app.cli import main
from app.engine import state_format
from app.service import Service
from app.service.upgrade import run_upgrade
from persistence.models import Base, ProcessInstance, ProcessVersion
from tests.conftest import FORMS, PG_ADMIN_URL, PROCESSES, TEST_ORGANISATIES, TEST_USERS, require_postgres
from tests.procedures.driver import CaseDriver

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """An empty database of its own: the fixture rows keep their ids."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/upgrade.sqlite"
        return
    require_postgres()
    name = f"vht_upgrade_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _value(column, value):
    if not isinstance(value, str):
        return value
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if column.type.__class__.__name__ == "UtcDateTime":
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return value


def load_fixture(url: str, folder: str, clock) -> Service:
    """A database as a product of that format left it: the fixture's rows, ids and all."""
    service = Service(url, PROCESSES, FORMS, clock=clock)
    service.init_db()
    for username, naam, rollen, gemeente in TEST_USERS:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, email=f"{username}@example.org",
                            organisatie=TEST_ORGANISATIES.get(username))
    rows = json.loads((FIXTURES / folder / "db.json").read_text(encoding="utf-8"))
    with service.engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in rows:
                connection.execute(table.insert(), [
                    {name: _value(table.c[name], value) for name, value in row.items()} for row in rows[table.name]])
        if service.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for name in rows:
                if "id" in Base.metadata.tables[name].c:
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                            f"(SELECT max(id) FROM {name}))"))
    return service


def _formats(service):
    with service.ctx.reading() as session:
        instances = {i.id: (state_format.state_text_versions(i.state), i.serializer_version)
                     for i in session.query(ProcessInstance)}
        specs = [state_format.spec_text_versions(v.spec_json) for v in session.query(ProcessVersion)]
    return instances, specs


def test_cases_stored_in_format_1_run_on_replay_and_are_rewritten(empty_url, clock):
    service = load_fixture(empty_url, "state_v1", clock)
    try:
        current = (state_format.OUR_FORMAT, state_format.SPIFF_VERSION)
        assert _formats(service) == ({1: ((1, "1.5"), "1.5"), 2: ((1, "1.5"), "1.5")}, [(1, "1.5")])

        dry = run_upgrade(service.ctx, dry_run=True)
        assert dry.ok and (dry.versions, dry.instances) == (1, 2)
        assert (dry.older_versions, dry.older_instances, dry.rewritten_instances) == (1, 2, 0)
        assert _formats(service)[0][1] == ((1, "1.5"), "1.5")  # a dry run writes nothing

        # The format-1 case runs on: its next task is completed, and the history still replays to it.
        case = CaseDriver(service, 1, clock)
        assert case.open_ids() == ["Task_AdviesVerwerken"]
        case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
        assert case.instance().serializer_version == state_format.column_value()
        case.assert_replays()
        CaseDriver(service, 2, clock).assert_replays()  # replayed against a state still in format 1

        done = run_upgrade(service.ctx, dry_run=False)
        # Case 1 was saved in the current format by its act; case 2 and the version are rewritten.
        assert done.ok and (done.rewritten_instances, done.rewritten_versions) == (1, 1)
        instances, specs = _formats(service)
        assert set(instances.values()) == {(current, state_format.column_value())} and specs == [current]
        for case_id in (1, 2):
            CaseDriver(service, case_id, clock).assert_replays()
        CaseDriver(service, 2, clock).complete("Task_CabHouden", {
            "advies_type": "andere_aanpak", "advies_tekst": "Zorg.", "afspraken": [{"wie": "Bram", "wat": "Bellen"}],
            "interventies": ["zorg"]})
        CaseDriver(service, 2, clock).assert_replays()
        again = run_upgrade(service.ctx, dry_run=True)
        assert again.ok and (again.older_versions, again.older_instances) == (0, 0)
    finally:
        service.engine.dispose()


def test_current_format_fixture_loads_and_needs_no_rewrite(empty_url, clock):
    service = load_fixture(empty_url, "state_v2", clock)
    try:
        report = run_upgrade(service.ctx, dry_run=False)
        assert report.ok and (report.instances, report.older_instances, report.rewritten_instances) == (2, 0, 0)
        assert report.rewritten_versions == 0
    finally:
        service.engine.dispose()


def test_vht_upgrade_dry_run_names_what_would_not_load(empty_url, clock, tmp_path):
    service = load_fixture(empty_url, "state_v1", clock)
    with service.engine.begin() as connection:  # as if a newer engine had written case 2
        state = json.loads(connection.execute(text("SELECT state FROM process_instance WHERE id = 2")).scalar())
        state["serializer_version"] = "9.0"
        connection.execute(text("UPDATE process_instance SET state = :s WHERE id = 2"), {"s": json.dumps(state)})
    service.engine.dispose()
    env = {"DATABASE_URL": empty_url, "VHT_INSTANCE_DIR": str(tmp_path)}
    runner = CliRunner()

    result = runner.invoke(main, ["upgrade", "--dry-run"], env=env, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "1 niet te laden met de geïnstalleerde engine" in result.output
    line = next(line for line in result.output.splitlines() if "procesinstantie 2" in line)
    assert "VHT-2026-00002" in line and "p0_consultatie_advies v1" in line and "nieuwer dan het geïnstalleerde" in line

    result = runner.invoke(main, ["upgrade"], env=env, catch_exceptions=False)
    assert result.exit_code == 1  # the one that does not load is still reported; the others are rewritten
    assert "Herschreven naar v2/" in result.output and "1 procesversies, 1 procesinstanties" in result.output
    service = Service(empty_url, PROCESSES, FORMS, clock=clock)
    try:
        instances, specs = _formats(service)
        assert instances[1][0] == (state_format.OUR_FORMAT, state_format.SPIFF_VERSION)
        assert instances[2][0] == (1, "9.0")  # left as it was
    finally:
        service.engine.dispose()

    help_text = " ".join(runner.invoke(main, ["upgrade", "--help"], env=env).output.split())
    assert "--dry-run" in help_text and "kopie van de productiedatabase" in help_text
