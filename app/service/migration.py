"""Migrating running cases of a procedure from one version to another (the process owner's act).

A dry run loads every running instance of the old version, moves it onto the new version in
memory (app/engine/migrate.py) and reports per case which open tasks stay, end and begin, or why
the case cannot move. The migration does the same and saves: the state now loads against the
new version's specs, the inbox follows (ended tasks cancelled, new ones open, renamed ones
renamed), the next timer is computed again, and a 'gemigreerd' event records who, why, from and
to which version and the task changes. Replay applies the same migration at that event.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.engine.migrate import MigrationRefused, migrate
from app.engine.runtime import EngineError, Run
from persistence.models import Case, HumanTask, ProcessInstance, ProcessVersion

from . import events, notifications, versions
from .context import Context
from .errors import InvalidInput
from .instances import load_run, save_run
from .replay import MIGRATED


@dataclass
class CasePlan:
    instance_id: int
    case_id: int
    referentie: str
    blijven: list[dict] = field(default_factory=list)
    vervallen: list[dict] = field(default_factory=list)
    nieuw: list[dict] = field(default_factory=list)
    geweigerd: str | None = None  # the Dutch reason this case cannot move

    def as_dict(self) -> dict:
        return {"instance_id": self.instance_id, "case_id": self.case_id, "referentie": self.referentie,
                "blijven": self.blijven, "vervallen": self.vervallen, "nieuw": self.nieuw,
                "geweigerd": self.geweigerd}


@dataclass
class MigrationReport:
    process_id: str
    van: int
    naar: int
    dry_run: bool
    cases: list[CasePlan]
    seconds: float = 0.0

    @property
    def movable(self) -> list[CasePlan]:
        return [c for c in self.cases if c.geweigerd is None]

    @property
    def refused(self) -> list[CasePlan]:
        return [c for c in self.cases if c.geweigerd is not None]

    def as_dict(self) -> dict:
        return {"process_id": self.process_id, "van": self.van, "naar": self.naar, "dry_run": self.dry_run,
                "seconds": round(self.seconds, 3), "cases": [c.as_dict() for c in self.cases]}


def _task(info) -> dict:
    return {"bpmn_id": info.bpmn_id, "naam": info.name, "procedure": info.process_id}


def apply(ctx: Context, run: Run, new_version: ProcessVersion, doelen: dict[str, str] | None = None):
    """Move `run` onto `new_version` (shared with replay, so both migrate the same way). `doelen`:
    {BPMN id of a removed open user task: the user task of the new version it goes on at}."""
    spec, subs = ctx.specs.get(new_version)
    return migrate(run, spec, subs, doelen)


def _versions(session: Session, process_id: str, van: int, naar: int) -> tuple[ProcessVersion, ProcessVersion]:
    if van == naar:
        raise InvalidInput("Kies een andere versie om naar te migreren.", {"naar": ["gelijk aan de huidige versie"]})
    return versions.get(session, process_id, van), versions.get(session, process_id, naar)


def _running(session: Session, old: ProcessVersion, instance_ids=None) -> list[ProcessInstance]:
    query = (select(ProcessInstance).where(ProcessInstance.process_version_id == old.id,
                                           ProcessInstance.status == "running").order_by(ProcessInstance.id))
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(list(instance_ids)))
    return session.scalars(query).all()


def _plan_one(ctx: Context, session: Session, instance: ProcessInstance, new: ProcessVersion, doelen: dict):
    """(plan, run moved onto `new` or None when refused)."""
    case = session.get(Case, instance.case_id)
    plan = CasePlan(instance.id, instance.case_id, case.referentie)
    run = load_run(ctx, instance)
    try:
        moved = apply(ctx, run, new, doelen)
    except MigrationRefused as exc:
        plan.geweigerd = f"Niet te migreren: {exc}."
        return plan, None
    except EngineError as exc:
        plan.geweigerd = f"Niet te migreren: {exc}."
        return plan, None
    plan.blijven = [_task(i) for i in moved.stays]
    plan.vervallen = [_task(i) for i in moved.removed]
    plan.nieuw = [_task(i) for i in moved.added]
    return plan, (run, moved)


def dry_run(ctx: Context, session: Session, process_id: str, van: int, naar: int, instance_ids=None,
            doelen: dict[str, str] | None = None) -> MigrationReport:
    """What a migration would do per running case of version `van`; writes nothing."""
    started = time.perf_counter()
    old, new = _versions(session, process_id, van, naar)
    plans = [_plan_one(ctx, session, instance, new, doelen or {})[0] for instance in _running(session, old, instance_ids)]
    return MigrationReport(process_id, van, naar, True, plans, time.perf_counter() - started)


def migrate_cases(ctx: Context, session: Session, process_id: str, van: int, naar: int, actor: str, reden: str,
                  instance_ids=None, doelen: dict[str, str] | None = None) -> MigrationReport:
    """Migrate every running case of version `van` that can move (or only `instance_ids`); the
    refused ones stay on their version and are reported. One transaction: all or nothing."""
    reden = (reden or "").strip()
    if not reden:
        raise InvalidInput("Geef een reden voor de migratie.", {"reden": ["verplicht"]})
    started = time.perf_counter()
    old, new = _versions(session, process_id, van, naar)
    now = ctx.now()
    plans = []
    for instance in _running(session, old, instance_ids):
        plan, result = _plan_one(ctx, session, instance, new, doelen or {})
        plans.append(plan)
        if result is None:
            continue
        run, moved = result
        instance.process_version_id, instance.process_version = new.id, new
        replaced = [info.spiff_id for info in moved.removed]
        if replaced:  # ended, or now another element under the same engine task: a new inbox row
            session.execute(update(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.spiff_task_id.in_(replaced),
                HumanTask.state == "open").values(state="cancelled", completed_at=now))
        new_tasks = save_run(ctx, session, instance, run)  # cancels the ended, opens the new, next timer
        for info in moved.stays:  # a renamed step or a changed deadline shows in the inbox too
            session.execute(update(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.spiff_task_id == info.spiff_id,
                HumanTask.state == "open").values(name=info.name, documentation=info.documentation,
                                                  form_key=info.form_key, role=info.role, due_at=info.due_at))
        event = events.append(
            session, case_id=instance.case_id, instance_id=instance.id, type=MIGRATED, actor=actor, at=now,
            data={"reden": reden, "process_id": process_id, "van": van, "naar": naar,
                  "van_version_id": old.id, "naar_version_id": new.id,
                  "blijven": plan.blijven, "vervallen": plan.vervallen, "nieuw": plan.nieuw, "doelen": doelen or {}},
            state_fingerprint=run.fingerprint(),
        )
        notifications.enqueue(session, instance.case_id, event.seq, [], new_tasks, now, ctx.base_url)
    return MigrationReport(process_id, van, naar, False, plans, time.perf_counter() - started)
