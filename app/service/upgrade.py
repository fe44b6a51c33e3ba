"""`vht upgrade`: can the installed engine load every stored case and process version, and bring
the stored ones in an older format up to date (state_format.py)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select

from app.engine import state_format
from app.engine.serializer import serializer
from persistence.models import Case, ProcessInstance, ProcessVersion

from .context import Context
from .errors import Conflict

BATCH = 200


@dataclass
class Failure:
    kind: str  # "casus" or "procesversie"
    process_id: str
    version: int | None
    error: str
    instance_id: int | None = None
    case_id: int | None = None
    referentie: str | None = None

    def __str__(self) -> str:
        if self.kind == "procesversie":
            return f"procesversie {self.process_id} v{self.version}: {self.error}"
        return (f"casus {self.referentie} (id {self.case_id}), procesinstantie {self.instance_id}, "
                f"{self.process_id} v{self.version}: {self.error}")


@dataclass
class UpgradeReport:
    dry_run: bool
    versions: int = 0
    instances: int = 0
    older_versions: int = 0  # in an older format
    older_instances: int = 0
    rewritten_versions: int = 0
    rewritten_instances: int = 0
    conflicts: list[int] = field(default_factory=list)  # instances changed by an act meanwhile
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and not self.conflicts

    def lines(self) -> list[str]:
        current = state_format.column_value()
        out = [f"Geïnstalleerde engine: opslagformaat {current}. Gecontroleerd: {self.versions} procesversies en "
               f"{self.instances} procesinstanties in {self.seconds:.1f} s."]
        if self.dry_run:
            out.append(f"In een ouder formaat (zou vht upgrade herschrijven): {self.older_versions} procesversies, "
                       f"{self.older_instances} procesinstanties.")
        else:
            out.append(f"Herschreven naar {current}: {self.rewritten_versions} procesversies, "
                       f"{self.rewritten_instances} procesinstanties.")
        for instance_id in self.conflicts:
            out.append(f"procesinstantie {instance_id} is tijdens het herschrijven door iemand anders gewijzigd: "
                       f"draai vht upgrade opnieuw")
        if self.failures:
            out.append(f"{len(self.failures)} niet te laden met de geïnstalleerde engine:")
            out.extend(f"  {failure}" for failure in self.failures)
        else:
            out.append("Alles is te laden met de geïnstalleerde engine.")
        return out


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, state_format.StateFormatError) else str(exc)


def run_upgrade(ctx: Context, *, dry_run: bool) -> UpgradeReport:
    """Load every stored process version and instance with the installed engine; unless
    `dry_run`, rewrite those in an older format (one transaction per instance or version)."""
    started = time.perf_counter()
    report = UpgradeReport(dry_run=dry_run)
    ser = serializer()
    specs: dict[int, tuple] = {}
    version_of: dict[int, tuple[str, int]] = {}
    with ctx.reading() as session:
        rows = session.execute(select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.version,
                                      ProcessVersion.spec_json).order_by(ProcessVersion.id)).all()
    older_versions = []
    for row in rows:
        report.versions += 1
        version_of[row.id] = (row.process_id, row.version)
        try:
            specs[row.id] = ser.load_specs(row.spec_json)
            if not state_format.is_current(state_format.spec_text_versions(row.spec_json)):
                older_versions.append(row.id)
        except Exception as exc:  # noqa: BLE001 - any failure is what the report is for
            report.failures.append(Failure("procesversie", row.process_id, row.version, _error(exc)))
    report.older_versions = len(older_versions)

    last_id = 0
    while True:
        with ctx.reading() as session:
            batch = session.execute(
                select(ProcessInstance.id, ProcessInstance.case_id, ProcessInstance.process_version_id,
                       ProcessInstance.state, ProcessInstance.serializer_version, Case.referentie)
                .join(Case, Case.id == ProcessInstance.case_id)
                .where(ProcessInstance.id > last_id).order_by(ProcessInstance.id).limit(BATCH)).all()
        if not batch:
            break
        last_id = batch[-1].id
        for row in batch:
            report.instances += 1
            process_id, number = version_of.get(row.process_version_id, ("?", None))
            try:
                spec = specs.get(row.process_version_id)
                if spec is None:
                    raise state_format.StateFormatError("de procesversie van deze instantie is zelf niet te laden")
                ser.load(row.state, *spec)
                older = (not state_format.is_current(state_format.state_text_versions(row.state))
                         or row.serializer_version != state_format.column_value())
            except Exception as exc:  # noqa: BLE001
                report.failures.append(Failure("casus", process_id, number, _error(exc), instance_id=row.id,
                                               case_id=row.case_id, referentie=row.referentie))
                continue
            if not older:
                continue
            report.older_instances += 1
            if not dry_run:
                try:
                    _rewrite_instance(ctx, row.id, spec)
                    report.rewritten_instances += 1
                except Conflict:
                    report.conflicts.append(row.id)

    if not dry_run:
        # After the instances: none of them needs the old spec document (they migrate against the
        # spec as the engine reads it), and a failure above leaves the versions as they were.
        for version_id in older_versions:
            with ctx.transaction() as session:
                version = session.get(ProcessVersion, version_id)
                version.spec_json = ser.dump_specs(*ser.load_specs(version.spec_json))
            report.rewritten_versions += 1
    report.seconds = time.perf_counter() - started
    return report


def _rewrite_instance(ctx: Context, instance_id: int, spec: tuple) -> None:
    """One transaction: load and save again. The instance's optimistic lock makes an act that came in
    between win (Conflict): its save was already in the current format."""
    ser = serializer()
    with ctx.transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        instance.state = ser.dump(ser.load(instance.state, *spec))
        instance.serializer_version = state_format.column_value()
