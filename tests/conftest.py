"""Shared fixtures: a real database (SQLite always, PostgreSQL when reachable or CI=true),
the product's own diagrams and forms, a clock that tests move, and users for every role."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.engine.clock import TZ, FixedClock
from app.service import Service, bundle, deploy, seals
from app.service.audit_key import AuditKey
from persistence.db import make_engine
from persistence.models import User

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"
# The audit key and checkpoint file of the tests (app/service/audit_key.py); each test gets its own
# checkpoint file (the autouse fixture below), so no test reads another's checkpoints.
os.environ.setdefault("VHT_AUDIT_KEY", "test-audit-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("VHT_CHECKPOINT_FILE", str(Path(tempfile.mkdtemp(prefix="vht-ankers-")) / "controlepunten.jsonl"))
PG_ADMIN_URL = os.environ.get("VHT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# One user per role, plus a second inbrenger in another gemeente.
TEST_USERS = [
    ("anna", "Anna Inbrenger", ["inbrenger"], "roosendaal"),
    ("bram", "Bram Inbrenger", ["inbrenger"], "moerdijk"),
    ("vera", "Vera VHT", ["veiligheidsteam"], None),
    ("nina", "Nina Netwerkpartner", ["netwerkpartner"], None),
    ("victor", "Victor Voorzitter", ["voorzitter"], None),
    ("rik", "Rik RvdK", ["rvdk"], None),
    ("gina", "Gina GI", ["gi", "inbrenger"], None),
    ("tom", "Tom Toegang", ["toegang"], "roosendaal"),
    ("zoe", "Zoe Zorgaanbieder", ["zorgaanbieder"], None),
]
# The organisation of each user whose role is scoped to one (gi, zorgaanbieder, netwerkpartner).
TEST_ORGANISATIES = {"gina": "Jeugdbescherming Brabant", "nina": "GGZ West-Brabant", "zoe": "Buurtteam"}


def _prepare(url: str, clock) -> None:
    service = Service(url, PROCESSES, FORMS, clock=clock)
    service.init_db()
    service.deploy(reden="testopzet")
    for username, naam, rollen, gemeente in TEST_USERS:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, email=f"{username}@example.org",
                            organisatie=TEST_ORGANISATIES.get(username))
    service.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    _prepare(f"sqlite:///{path}", FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ)))
    return path


def _pg_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def require_postgres() -> None:
    """PostgreSQL answers, or this test skips; in CI (CI=true) it fails instead."""
    if not _pg_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but {PG_ADMIN_URL} does not answer")
        pytest.skip("PostgreSQL not reachable (set CI=true to make this a failure)")


@pytest.fixture(scope="session")
def pg_database() -> str:
    require_postgres()
    name = f"vht_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _prepare(url, FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ)))
    engine = make_engine(url)
    with engine.connect() as connection:
        _PG_USERS[url] = [dict(row._mapping) for row in connection.execute(User.__table__.select())]
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# The users of each PostgreSQL test database as _prepare left them: every test starts from these,
# whatever a test before it did to the accounts (e.g. the page tests' demo users with other names).
_PG_USERS: dict[str, list[dict]] = {}


def _clean_pg(url: str) -> None:
    users = User.__table__
    engine = make_engine(url)
    with engine.begin() as connection:
        if url not in _PG_USERS:  # a database of its own (tests/worker): its users as first cleaned
            _PG_USERS[url] = [dict(row._mapping) for row in connection.execute(users.select())]
        connection.execute(text("TRUNCATE event, human_task, process_instance, casus, login_limit, web_session, "
                                "toegang_log, app_user, task_feit RESTART IDENTITY CASCADE"))
        connection.execute(users.insert(), _PG_USERS[url])
        # Back to the bundle _prepare deployed: versions a test deployed are gone, none retired.
        connection.execute(text("TRUNCATE process_default, process_draft"))
        connection.execute(text("DELETE FROM process_version WHERE deployment_id <> (SELECT min(id) FROM deployment)"))
        connection.execute(text("DELETE FROM deployment WHERE id <> (SELECT min(id) FROM deployment)"))
        connection.execute(text("UPDATE process_version SET ingetrokken_op = NULL, ingetrokken_door = NULL"))
        # The seals go with the cases; the versions get a fresh first seal below.
        connection.execute(text("DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_seal"))
        connection.execute(text("DELETE FROM audit_seal"))
        # The append-only guards as the migrations made them, also where a tampering test dropped them.
        for table, function, verbs in (("audit_seal", "audit_seal_append_only", "UPDATE OR DELETE"),
                                       ("event", "event_append_only", "UPDATE OR DELETE")):
            connection.execute(text(f"CREATE OR REPLACE TRIGGER {function} BEFORE {verbs} ON {table} "
                                    f"FOR EACH ROW EXECUTE FUNCTION {function}()"))
    # The versions as they are now (files of later deploys stay: content-addressed) get a fresh seal.
    with Session(engine) as session, session.begin():
        seals.bind(session, AuditKey.from_env(url))
        seals.touch_versions(session)
    engine.dispose()


def drop_append_only_guards(connection) -> None:
    """The triggers that keep the event log and the seals append-only stop mistakes, not a database
    administrator: a tampering test drops them first, as he would (_clean_pg puts them back)."""
    if connection.dialect.name == "sqlite":
        for name in ("event_no_update", "event_no_delete", "audit_seal_no_update", "audit_seal_no_delete"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    else:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS event_append_only ON event")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_seal")


def deploy_settings(service: Service, **settings) -> None:
    """A region's choice as it reaches cases: a new bundle with these parameters is deployed, so
    cases started after it run with them (cases started before keep theirs)."""
    tree = service.source_tree()
    tree = tree.overlay({bundle.PARAMETERS: json.dumps({**tree.parameters(), **settings}, ensure_ascii=False)})
    with service.ctx.transaction() as session:
        deploy.deploy_tree(session, tree, "test", "regionale keuze in de test", service.ctx.now())
    service.ctx.parameters.update(settings)  # what pages read outside a case


@pytest.fixture(autouse=True)
def _own_checkpoint_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VHT_CHECKPOINT_FILE", str(tmp_path / "controlepunten.jsonl"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))  # a Monday


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "vht.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _clean_pg(url)
    return url


@pytest.fixture
def service(db_url, clock) -> Service:
    svc = Service(db_url, PROCESSES, FORMS, clock=clock)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def sqlite_service(sqlite_template, tmp_path, clock) -> Service:
    path = tmp_path / "vht.sqlite"
    shutil.copy(sqlite_template, path)
    svc = Service(f"sqlite:///{path}", PROCESSES, FORMS, clock=clock)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def smtp():
    """A real SMTP server on loopback; `.port`, and `.mails` as they arrived (tests/mailbox.py)."""
    from tests.mailbox import start_server

    box, controller = start_server()
    yield box
    controller.stop()
