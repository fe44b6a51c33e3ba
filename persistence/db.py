"""Connecting: SQLite by default (one file under instance/), PostgreSQL through DATABASE_URL."""
from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy import exc as exc_mod
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
# Execution option of the sessions that only read (make_read_sessionmaker).
READ_ONLY = "vht_read_only"
DEFAULT_URL = f"sqlite:///{ROOT / 'instance' / 'vht.sqlite'}"


def normalize_url(url: str) -> str:
    # "postgresql://" means psycopg 3 here (psycopg2 is not a dependency).
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None) -> Engine:
    # hide_parameters: a database error names its statement but not the values (names, search
    # terms), since such errors end up in logs (app/logs.py).
    url = normalize_url(url or DEFAULT_URL)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN ourselves (below), as SQLAlchemy documents.
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            # WAL: readers do not block the writer; NORMAL is durable across process crashes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            # Writers queue up front instead of failing halfway on a stale snapshot: on SQLite
            # two acts on one case run one after the other, each on the state the other left.
            # Reads take no lock at all (WAL: they see the last commit), so a page never waits
            # behind an act.
            read_only = connection.get_execution_options().get(READ_ONLY)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return _server_engine(url)


# The pool of a database server (PostgreSQL), from the environment (README, "Configuration").
POOL_SETTINGS = {
    # name: (default, minimum, what it is)
    "VHT_DB_POOL_SIZE": (5, 1, "connections kept open per process"),
    "VHT_DB_MAX_OVERFLOW": (10, 0, "connections opened beyond that under load, closed again after"),
    "VHT_DB_POOL_RECYCLE": (1800, 1, "seconds after which a connection is replaced (before a server or firewall drops it)"),
    "VHT_DB_PING_AFTER": (30, 0, "seconds a connection may lie idle in the pool before it is tested at checkout"),
}


def pool_setting(name: str) -> int:
    default, minimum, _ = POOL_SETTINGS[name]
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name} moet een geheel getal van minstens {minimum} zijn, niet '{value}'.")
    return int(value)


def _server_engine(url: str) -> Engine:
    """No ping on every checkout (a round trip per request): a connection that lay idle longer
    than VHT_DB_PING_AFTER is tested first (a server restart, a firewall's idle cut), one in
    steady use is not. A connection that dies while in use fails its request; SQLAlchemy then
    sees the disconnect and drops every pooled connection opened before it, so the next request
    gets a fresh one (README, "Configuration")."""
    engine = create_engine(url, hide_parameters=True, pool_pre_ping=False,
                           pool_size=pool_setting("VHT_DB_POOL_SIZE"),
                           max_overflow=pool_setting("VHT_DB_MAX_OVERFLOW"),
                           pool_recycle=pool_setting("VHT_DB_POOL_RECYCLE"))
    ping_after = pool_setting("VHT_DB_PING_AFTER")

    @event.listens_for(engine.pool, "checkin")
    def _idle_since(_dbapi_connection, record):
        if record is not None:
            record.info["vht_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping_when_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.get("vht_idle_since")
        if idle_since is None or time.monotonic() - idle_since < ping_after:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()  # the driver's implicit BEGIN of the ping
        except Exception as exc:  # noqa: BLE001 - any failure: the pool replaces it and retries
            raise exc_mod.DisconnectionError(str(exc)) from exc

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    # No autoflush: an operation writes once, at its end (each implicit flush cost ~1 ms).
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


class WriteInReadOnlySession(RuntimeError):
    """A bug: an operation declared as a read tried to write."""


def make_read_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions for operations that only read: on SQLite a deferred transaction (no writer lock),
    and any attempt to write in one is refused, so a read can never half-write either."""
    sessions = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, autoflush=False)

    @event.listens_for(sessions, "before_flush")
    def _no_flush(session, _context, _instances):
        if session.new or session.dirty or session.deleted:
            raise WriteInReadOnlySession("write in a read-only session")

    @event.listens_for(sessions, "do_orm_execute")
    def _no_dml(state):
        if not state.is_select:
            raise WriteInReadOnlySession("write statement in a read-only session")

    return sessions
