"""What every service operation needs: a database, the clock, the engine, the forms, settings."""
from __future__ import annotations

import contextlib
import json
import threading
from datetime import date
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from app.engine import clock as clock_mod
from app.engine.expressions import make_script_engine
from app.engine.runtime import Runtime
from app.engine.serializer import serializer
from app.engine.werkdagen import WerkdagKalender
from app.formdefs import FormRegistry
from persistence.models import BundleFile, Deployment, ProcessVersion

from . import request_unit, seals
from .audit_key import AuditKey
from .errors import Conflict, NotFound
from .versions import BundleCache, VersionBundle

CONFLICT = "Iemand anders heeft deze casus net gewijzigd. Er is niets opgeslagen; laad de casus opnieuw en probeer het nog eens."


class SpecCache:
    """Parsed specs per deployed version: parsing costs milliseconds, a lookup nothing."""

    def __init__(self, size: int = 64):
        self._items: OrderedDict[int, tuple] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, version: ProcessVersion) -> tuple:
        return self.get_by_id(version.id, lambda: version)

    def get_by_id(self, version_id: int, load_version) -> tuple:
        """`load_version` is only called (a query) when the spec is not cached yet."""
        with self._lock:
            item = self._items.get(version_id)
            if item is not None:
                self._items.move_to_end(version_id)
                return item
        item = serializer().load_specs(load_version().spec_json)
        with self._lock:
            self._items[version_id] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return item


@dataclass
class Context:
    sessions: sessionmaker
    processes_dir: Path
    forms: FormRegistry
    clock: clock_mod.Clock
    parameters: dict
    base_url: str = "http://127.0.0.1:5000"
    specs: SpecCache = field(default_factory=SpecCache)
    runtime: Runtime = None  # type: ignore[assignment]
    read_sessions: sessionmaker | None = None  # reads only (persistence.db.make_read_sessionmaker)
    forms_dir: Path | None = None
    bundles: "BundleCache" = None  # type: ignore[assignment]
    # The key of the seals, the access log and the checkpoints (app/service/audit_key.py).
    audit: "AuditKey" = None  # type: ignore[assignment]

    def __post_init__(self):
        kalender = WerkdagKalender(
            extra_gesloten=[date.fromisoformat(d) for d in self.parameters.get("extra_sluitingsdagen", [])])
        self.kalender = kalender
        if self.runtime is None:
            self.runtime = Runtime(make_script_engine(kalender))
        if self.bundles is None:
            self.bundles = BundleCache()
        if self.audit is None:
            self.audit = AuditKey.from_env()
        self._deployed_parameters: dict[str, dict] = {}
        request_unit.watch(self.sessions)

    def bundle_of(self, session: Session, version: ProcessVersion) -> VersionBundle:
        """The forms, parameters and letters the cases of `version` run with (its own bundle)."""
        return self.bundles.get(session, version, VersionBundle(self.forms, self.parameters, {}))

    def current_parameters(self, session: Session) -> dict:
        """The settings of the last deployment (what new cases start with); before any deploy,
        the file on disk."""
        row = session.execute(select(Deployment.id, Deployment.files).order_by(Deployment.id.desc()).limit(1)).first()
        digest = (row.files or {}).get("processes/parameters.json") if row else None
        if digest is None:
            return self.parameters
        cached = self._deployed_parameters.get(digest)
        if cached is None:
            text = session.scalar(select(BundleFile.content).where(BundleFile.sha256 == digest))
            cached = self._deployed_parameters[digest] = json.loads(text) if text else {}
        return cached

    def forms_of(self, session: Session, instance) -> FormRegistry:
        """The forms of the version a process instance runs on."""
        return self.bundle_of(session, instance.process_version).forms

    def now(self):
        """Inside an operation: the instant it runs at; outside: the configured clock."""
        return (clock_mod.active_clock() or self.clock).now()

    @contextlib.contextmanager
    def reading(self):
        """An operation that only reads: the same frozen clock, no writer lock (on SQLite a
        deferred transaction, so it never queues behind an act); a write in it is a bug and fails."""
        with clock_mod.active(clock_mod.FixedClock(self.clock.now())):
            unit = request_unit.current(self)
            if unit is not None:  # inside a web or API request: its one transaction
                with unit.reading() as session:
                    yield session
                return
            session: Session = (self.read_sessions or self.sessions)()
            try:
                with session.begin():
                    yield session
            finally:
                session.close()

    def request(self, *, writes: bool) -> "request_unit.RequestUnit":
        """The unit of work of one web or API request (app/service/request_unit.py); `writes`:
        the request changes something by its method (on SQLite it takes the writer lock at once)."""
        return request_unit.RequestUnit(self, writes)

    def apart(self):
        """Inside a request: commit what it holds so far and run the block in transactions of its
        own (what must persist even when the request fails, or must not wait for its end)."""
        unit = request_unit.current(self)
        return unit.apart() if unit is not None else contextlib.nullcontext()

    @contextlib.contextmanager
    def transaction(self, clock: clock_mod.Clock | None = None):
        """One unit of work: all or nothing; a lost race becomes Conflict.

        The clock stands still for the operation, so the engine, the inbox and the event log all
        see the same instant and a replay at that recorded instant does exactly the same.
        """
        with clock_mod.active(clock_mod.FixedClock((clock or self.clock).now())):
            unit = request_unit.current(self)
            session: Session | None = None
            after_commit: list = []
            try:
                if unit is not None:  # inside a web or API request: joins its one transaction
                    with unit.transaction() as session:
                        yield session
                    return
                session = self.sessions()
                seals.bind(session, self.audit)
                with session.begin():
                    yield session
                    after_commit = session.info.pop("after_commit", [])
            except StaleDataError as exc:
                raise Conflict(CONFLICT) from exc
            except IntegrityError as exc:
                # Two writers numbering the same case's next event: the same race, seen elsewhere.
                if "event" in str(exc.orig).lower() and "seq" in str(exc.orig).lower():
                    raise Conflict(CONFLICT) from exc
                raise
            finally:
                if unit is None and session is not None:
                    session.close()
            # Slow work an act asked for (making PDFs): only now, with no transaction or lock held.
            for callback in after_commit:
                callback(self)


def load_parameters(processes_dir: Path) -> dict:
    """processes/parameters.json, checked: a wrong value stops the start with a clear message."""
    path = Path(processes_dir) / "parameters.json"
    if not path.exists():
        return {}
    try:
        parameters = json.loads(path.read_text(encoding="utf-8"))
        for day in parameters.get("extra_sluitingsdagen", []):
            date.fromisoformat(day)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc} (extra_sluitingsdagen is een lijst van datums JJJJ-MM-DD)") from exc
    return parameters


def get_or_404(session: Session, model, key, what: str):
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"{what} {key} bestaat niet.")
    return row
