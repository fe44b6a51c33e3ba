"""Fixtures for the timer worker tests: databases holding the two small test diagrams of
fixtures/ (never the product's processes/), users, a clock, and helpers to run `vht` as an
operating-system process the way a server runs it.

The PostgreSQL database here is the worker tests' own (created next to the shared
`pg_database`, dropped at the end), so the test diagrams never show up in other tests'
listings of startable procedures.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.engine.clock import TZ, FixedClock
from app.service import Service
from tests.conftest import PG_ADMIN_URL, ROOT, TEST_USERS, _clean_pg

HERE = Path(__file__).resolve().parent
PROCESSES = HERE / "fixtures" / "processes"
FORMS = HERE / "fixtures" / "forms"
VHT = ROOT / ".venv" / "bin" / "vht"

# The test processes start at 09:00 on a Monday; the deadline of "Beoordelen" is PT1H later.
START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
DEADLINE = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
INBRENGERS = [u for u, _n, rollen, _g in TEST_USERS if "inbrenger" in rollen]  # anna, bram, gina


def prepare(url: str) -> None:
    service = Service(url, PROCESSES, FORMS, clock=FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=TZ)))
    service.init_db()
    service.deploy(reden="testopzet")
    for username, naam, rollen, gemeente in TEST_USERS:
        service.upsert_user(username, naam, rollen, gemeente=gemeente, email=f"{username}@example.org")
    service.engine.dispose()


def vht_env(url: str, **extra) -> dict:
    """The environment of a `vht` process on this database with the test diagrams."""
    env = {**os.environ, "DATABASE_URL": url, "VHT_PROCESSES_DIR": str(PROCESSES),
           "VHT_FORMS_DIR": str(FORMS), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("VHT_USER", None)
    return env


@pytest.fixture(scope="session")
def worker_sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("worker_db") / "template.sqlite"
    prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def worker_pg_url(request) -> str:
    request.getfixturevalue("pg_database")  # skips, or fails when CI=true, if PostgreSQL does not answer
    name = f"vht_test_worker_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    prepare(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def worker_pg(worker_pg_url) -> str:
    """The worker tests' PostgreSQL database, without cases (diagrams and users stay)."""
    _clean_pg(worker_pg_url)
    return worker_pg_url


@pytest.fixture
def worker_sqlite(worker_sqlite_template, tmp_path) -> str:
    path = tmp_path / "worker.sqlite"
    shutil.copy(worker_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def worker_db(request) -> str:
    return request.getfixturevalue("worker_sqlite" if request.param == "sqlite" else "worker_pg")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def worker_service(worker_db, clock) -> Service:
    service = Service(worker_db, PROCESSES, FORMS, clock=clock)
    yield service
    service.engine.dispose()
