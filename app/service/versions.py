"""Process versions for the process owner: which one new cases start on, retiring, the version
list with its cases, and what a version's cases run with (its forms, parameters and letters)."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.formdefs import FormRegistry
from persistence.models import Deployment, ProcessDefault, ProcessInstance, ProcessVersion

from . import bundle
from .errors import InvalidInput, NotFound


def version_for_start(session: Session, process_id: str) -> ProcessVersion | None:
    """The version new cases start on: the one a process owner chose, else the newest that is
    not retired; None when there is none (never deployed, or every version retired)."""
    chosen = session.get(ProcessDefault, process_id)
    if chosen is not None:
        version = get(session, process_id, chosen.version)
        if version.ingetrokken_op is None:
            return version
    return session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id, ProcessVersion.ingetrokken_op.is_(None))
        .order_by(ProcessVersion.version.desc()).limit(1)
    ).first()


def get(session: Session, process_id: str, number: int) -> ProcessVersion:
    version = session.scalars(select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.version == number)).first()
    if version is None:
        raise NotFound(f"Versie {number} van '{process_id}' bestaat niet.")
    return version


def retire(session: Session, process_id: str, number: int, actor: str, now) -> ProcessVersion:
    """No new starts on this version; its running cases go on."""
    version = get(session, process_id, number)
    if version.ingetrokken_op is not None:
        raise InvalidInput(f"Versie {number} is al ingetrokken.", {})
    version.ingetrokken_op, version.ingetrokken_door = now, actor
    chosen = session.get(ProcessDefault, process_id)
    if chosen is not None and chosen.version == number:
        session.delete(chosen)
    return version


def reinstate(session: Session, process_id: str, number: int) -> ProcessVersion:
    version = get(session, process_id, number)
    version.ingetrokken_op = version.ingetrokken_door = None
    return version


def set_default(session: Session, process_id: str, number: int, actor: str, now) -> ProcessVersion:
    version = get(session, process_id, number)
    if version.ingetrokken_op is not None:
        raise InvalidInput(f"Versie {number} is ingetrokken: zet haar eerst terug in gebruik.", {})
    chosen = session.get(ProcessDefault, process_id)
    if chosen is None:
        session.add(ProcessDefault(process_id=process_id, version=number, gekozen_door=actor, gekozen_op=now))
    else:
        chosen.version, chosen.gekozen_door, chosen.gekozen_op = number, actor, now
    return version


@dataclass
class VersionRow:
    version: ProcessVersion
    open_cases: int
    closed_cases: int
    is_default: bool
    deployment: Deployment | None
    # Cases of other procedures that run this version inside them (a called sub-process):
    # {caller process_id: (open, closed)}.
    inside: dict = field(default_factory=dict)


def version_rows(session: Session, process_id: str) -> list[VersionRow]:
    """Every version of a process, newest first, with the number of open and closed instances."""
    versions = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                               .order_by(ProcessVersion.version.desc())).all()
    if not versions:
        raise NotFound(f"Procedure '{process_id}' bestaat niet.")
    # A caller's version records the file it called ({process_id: sha256}): its cases run that content.
    callers = [(v.id, v.process_id, (v.called_sha256 or {}).get(process_id)) for v in session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_id != process_id)) if process_id in (v.called_processes or [])]
    counts: dict[tuple[int, bool], int] = {}
    for version_id, running, n in session.execute(
            select(ProcessInstance.process_version_id, ProcessInstance.status == "running", func.count())
            .where(ProcessInstance.process_version_id.in_([v.id for v in versions] + [c[0] for c in callers]))
            .group_by(ProcessInstance.process_version_id, ProcessInstance.status == "running")):
        counts[(version_id, bool(running))] = counts.get((version_id, bool(running)), 0) + n
    default = version_for_start(session, process_id)
    deployments = {d.id: d for d in session.scalars(select(Deployment).where(
        Deployment.id.in_({v.deployment_id for v in versions if v.deployment_id})))}
    rows = []
    for v in versions:
        inside: dict[str, tuple[int, int]] = {}
        for caller_id, caller, called_sha in callers:
            if called_sha == v.sha256:
                was = inside.get(caller, (0, 0))
                inside[caller] = (was[0] + counts.get((caller_id, True), 0), was[1] + counts.get((caller_id, False), 0))
        rows.append(VersionRow(v, counts.get((v.id, True), 0), counts.get((v.id, False), 0),
                               default is not None and default.id == v.id, deployments.get(v.deployment_id),
                               {k: n for k, n in sorted(inside.items()) if any(n)}))
    return rows


@dataclass(frozen=True)
class VersionBundle:
    """What cases of one version run with."""
    forms: FormRegistry
    parameters: dict
    letters: dict[str, str]


class BundleCache:
    """A version's forms, parameters and letters, read once: they never change after deploy."""

    def __init__(self, size: int = 64):
        self._items: OrderedDict[int, VersionBundle] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get_by_id(self, session: Session, version_id: int, load_version, fallback: VersionBundle) -> VersionBundle:
        """As get(), but `load_version` is only called (a query for the version row with its diagram
        and spec, ~0.5-1 ms) when the bundle is not cached yet."""
        with self._lock:
            item = self._items.get(version_id)
            if item is not None:
                self._items.move_to_end(version_id)
                return item
        return self.get(session, load_version(), fallback)

    def get(self, session: Session, version: ProcessVersion, fallback: VersionBundle) -> VersionBundle:
        if version.forms is None:  # deployed before bundles existed: the files on disk
            return fallback
        with self._lock:
            item = self._items.get(version.id)
            if item is not None:
                self._items.move_to_end(version.id)
                return item
        shas = [*version.forms.values(), *(version.letters or {}).values()]
        if version.parameters_sha256:
            shas.append(version.parameters_sha256)
        texts = bundle.contents(session, shas)
        item = VersionBundle(
            forms=FormRegistry(sources={key: texts[digest] for key, digest in version.forms.items()}),
            parameters=json.loads(texts[version.parameters_sha256]) if version.parameters_sha256 else {},
            letters={name: texts[digest] for name, digest in (version.letters or {}).items()},
        )
        with self._lock:
            self._items[version.id] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return item
