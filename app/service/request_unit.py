"""One request, one unit of work: the token or cookie check, the access check, the act and the
next task of a web or API request share one session and one commit (issue 15 §2).

The web and API layers open a unit per request (`ctx.request(writes=...)`, without a database
connection yet) and end it with `finish` (commit: the answer is below 500) or `abort` (roll
back: a 5xx or an error nobody answered). Inside it `ctx.reading()` and `ctx.transaction()` join
the request's transaction instead of opening their own; outside one (CLI, worker, tests) they
work as before, each on its own.

- An act that fails rolls back what it did and nothing else: the request's first act needs no
  SAVEPOINT (all before it only read, so the whole transaction is rolled back); an act after a
  write in the same request gets one. What the rest of the request writes (the access log, a 4xx
  page's row) still commits.
- Each act flushes at its end, so a lost race (version column) is a Conflict inside the act; the
  seals (seals.before_commit) are written at the one commit, under the instant of the last act;
  after-commit work (PDFs, checkpoints) runs after it, outside the unit.
- Every operation starts on an identity map holding only the request's users (the session is
  cleared of everything else after each), so an act loads what the database holds and a page's
  changes to returned objects never reach the database, as when each operation had its own
  session; the person (and colleagues) looked up once are not looked up again.
- SQLite: a request that writes by its method begins with BEGIN IMMEDIATE (it never has to upgrade
  a read snapshot, which fails when another writer committed meanwhile); a GET begins deferred (no
  writer lock; reads never queue) and, at its first write (the access log, a session touch), ends
  that read and begins an immediate one. PostgreSQL: always the one transaction.
- `ctx.apart()`: what must commit on its own inside a request (the login limit's count before the
  password is checked, an incident that must survive the act's rollback) commits what the request
  holds so far and then runs outside the unit.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.engine import clock as clock_mod
from persistence.db import READ_ONLY, WriteInReadOnlySession
from persistence.models import User

from . import seals

_CURRENT: ContextVar["RequestUnit | None"] = ContextVar("vht_request_unit", default=None)
# session.info keys: the open transaction wrote (flush or DML); an operation declared as a read runs.
WROTE = "vht_wrote"
READING = "vht_reading"


def current(ctx) -> "RequestUnit | None":
    unit = _CURRENT.get()
    return unit if unit is not None and unit.ctx is ctx and not unit.closed else None


def watch(sessions: sessionmaker) -> None:
    """Listeners on the sessions of a Context: what the open transaction wrote, and no write in a read."""

    @event.listens_for(sessions, "after_flush")
    def _flushed(session, _context):
        session.info[WROTE] = True

    @event.listens_for(sessions, "before_flush")
    def _no_flush_in_read(session, _context, _instances):
        if session.info.get(READING) and (session.new or session.dirty or session.deleted):
            raise WriteInReadOnlySession("write in a read-only operation")

    @event.listens_for(sessions, "do_orm_execute")
    def _statement(state):
        if not state.is_select:
            if state.session.info.get(READING):
                raise WriteInReadOnlySession("write statement in a read-only operation")
            state.session.info[WROTE] = True

    @event.listens_for(sessions, "after_commit")
    @event.listens_for(sessions, "after_rollback")
    def _ended(session):
        session.info.pop(WROTE, None)
        _forget_caches(session)

    @event.listens_for(sessions, "after_soft_rollback")
    def _rolled_back(session, _previous):  # also a SAVEPOINT's: what it read may be gone
        _forget_caches(session)


# What an act remembers of what it read, valid only inside its transaction: the case's last
# event (events.py), a task's first claim (insight/facts.py), users' addresses (notifications.py).
TRANSACTION_CACHES = ("event_heads", "first_claims", "user_emails")


def _forget_caches(session) -> None:
    for key in TRANSACTION_CACHES:
        session.info.pop(key, None)


def _snapshot(info: dict) -> dict:
    return {key: (len(value) if isinstance(value, list) else set(value) if isinstance(value, set) else value)
            for key, value in info.items()}


def _restore(info: dict, before: dict) -> None:
    """session.info as it was before a failed act (lists truncated in place: callbacks hold them)."""
    for key in list(info):
        if key not in before:
            del info[key]
        elif isinstance(info[key], list):
            del info[key][before[key]:]
        elif isinstance(info[key], set):
            info[key] &= before[key]


def _forget(session: Session) -> None:
    """Detach what an operation loaded or added, the users apart (rows without relations, read by
    nearly every operation of a request: who acts, the access check, the access log)."""
    for obj in [*session.new, *(o for o in session.identity_map.values() if not isinstance(o, User))]:
        session.expunge(obj)


class RequestUnit:
    def __init__(self, ctx, writes: bool):
        self.ctx = ctx
        self.writes = writes  # known from the method: on SQLite BEGIN IMMEDIATE from the start
        self.session: Session | None = None
        self.closed = False
        self._deferred = False  # the open transaction is SQLite's deferred read (no writer lock)
        self._acted_at = None  # the instant of the last act: the seals at the commit carry it
        self._token = _CURRENT.set(self)

    # --- what the operations use (Context.reading / Context.transaction) ----------------------

    def _session(self, write: bool) -> Session:
        session = self.session
        if session is None:
            session = self.session = self.ctx.sessions()
            seals.bind(session, self.ctx.audit)
        if not session.in_transaction():
            self._deferred = not write and not self.writes and session.get_bind().dialect.name == "sqlite"
            if self._deferred:
                session.connection(execution_options={READ_ONLY: True})
        elif write and self._deferred:
            # Nothing written yet: end the read snapshot rather than upgrade it, take the writer lock.
            self._commit(session)
        return session

    @contextlib.contextmanager
    def reading(self):
        session = self._session(write=False)
        session.info[READING] = True
        try:
            yield session
        except DBAPIError:
            # The database refused a statement (on PostgreSQL the transaction is then unusable).
            self._rollback(session)
            raise
        finally:
            session.info.pop(READING, None)
            _forget(session)

    @contextlib.contextmanager
    def transaction(self):
        session = self._session(write=True)
        savepoint = session.begin_nested() if session.info.get(WROTE) else None
        before = _snapshot(session.info)
        try:
            yield session
            session.flush()  # a lost race shows here, inside the act
            if savepoint is not None:
                savepoint.commit()
        except BaseException:
            if savepoint is not None and savepoint.is_active:
                savepoint.rollback()
            else:  # the request's first write: all before it only read
                self._rollback(session)
            _restore(session.info, before)
            raise
        finally:
            _forget(session)
        self._acted_at = self.ctx.now()

    @contextlib.contextmanager
    def apart(self):
        """Commit what the request holds so far; what runs inside commits on its own."""
        if self.session is not None and self.session.in_transaction():
            self._commit(self.session)
        token = _CURRENT.set(None)
        try:
            yield
        finally:
            _CURRENT.reset(token)

    # --- the end of the request (the web and API layers) --------------------------------------

    def finish(self) -> None:
        """Commit what the request did, then run the after-commit work outside the unit. Raises
        what the commit raised (a Conflict when a lost race shows only there)."""
        if self.closed:
            return
        session, after_commit = self.session, []
        try:
            if session is not None and session.in_transaction():
                self._commit(session)
            if session is not None:
                after_commit = session.info.pop("after_commit", [])
        finally:
            self._close()
        for callback in after_commit:
            callback(self.ctx)

    def abort(self) -> None:
        """Roll back everything the request did (a 5xx, or an error nobody answered)."""
        if self.closed:
            return
        try:
            if self.session is not None:
                self.session.info.pop("after_commit", None)
                self.session.rollback()
        finally:
            self._close()

    def _commit(self, session: Session) -> None:
        # The seals (before_commit) take the instant of the last act, as each act's own commit did.
        frozen = clock_mod.active(clock_mod.FixedClock(self._acted_at)) if self._acted_at else contextlib.nullcontext()
        try:
            with frozen:
                session.commit()
        except BaseException:
            self._rollback(session)
            raise
        self._deferred = False

    def _rollback(self, session: Session) -> None:
        session.rollback()
        self._deferred = False

    def _close(self) -> None:
        self.closed = True
        try:
            if self.session is not None:
                self.session.close()
        finally:
            self.session = None
            try:
                _CURRENT.reset(self._token)
            except ValueError:  # ended in another context (a copied one): just forget it there
                _CURRENT.set(None)
