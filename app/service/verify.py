"""`vht verify` and the auditor's verification page: is everything as it was recorded?

Per case: its seal chain (each HMAC with the audit key), its rows now against the last seal,
its event chain, the PDFs in its send log against their digests, the checkpoint file's last
head of its chain, and a replay of its events to the stored engine state. Then what no single
case shows: cases the checkpoints know that are gone, seals of cases that are gone, the process
versions (diagram, forms, parameters, letters) and the access log.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from persistence.models import AuditSeal, BundleFile, Case, Event, ProcessVersion, ToegangLog, VkVerzending

from . import checkpoints, seals
from .context import Context
from .events import event_hash
from .replay import replay_case

OK = "in orde"
FAILED = "afwijking"


@dataclass
class CaseResult:
    case_id: int
    referentie: str | None
    findings: list[str] = field(default_factory=list)
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict:
        return {"case_id": self.case_id, "referentie": self.referentie, "resultaat": OK if self.ok else FAILED,
                "bevinding": self.findings[0] if self.findings else None, "bevindingen": self.findings,
                "opnieuw_uitgevoerd": self.replayed}


@dataclass
class Report:
    cases: list[CaseResult] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # not about one existing case
    seconds: float = 0.0
    checkpoint_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings and all(c.ok for c in self.cases)

    @property
    def failed(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.ok]

    def as_dict(self) -> dict:
        return {"resultaat": OK if self.ok else FAILED, "casussen": [c.as_dict() for c in self.cases],
                "overige_bevindingen": self.findings, "aantal_casussen": len(self.cases),
                "aantal_afwijkend": len(self.failed), "controlepunten": self.checkpoint_lines,
                "seconden": round(self.seconds, 3)}


def check_chain(ctx: Context, rows: list, chain: str) -> list[str]:
    """The seals of one chain: numbered 1..n without a gap, each HMAC right over the one before."""
    findings, prev = [], ""
    for expected, seal in enumerate(rows, start=1):
        if seal.seq != expected:
            findings.append(f"verzegeling {expected} ontbreekt (de keten gaat verder met {seal.seq})")
            return findings
        if seal.digest != seals.digest(seal.parts) or \
                not ctx.audit.check(seal.mac, chain, str(seal.seq), seal.at.isoformat(),
                                    seals.canonical(seal.parts), prev):
            findings.append(f"verzegeling {seal.seq} ({_local(seal.at)}) is niet met de auditsleutel gemaakt "
                            "of is daarna gewijzigd")
            return findings
        prev = seal.mac
    return findings


def _local(moment) -> str:
    from app.engine.clock import TZ
    return moment.astimezone(TZ).strftime("%d-%m-%Y %H:%M:%S")


def _compare(last, now_parts: dict) -> list[str]:
    changed = [name for name in sorted(set(last.parts) | set(now_parts)) if last.parts.get(name) != now_parts.get(name)]
    return [f"{seals.PART_NAMES.get(name, name)} zijn gewijzigd na de laatste verzegeling ({_local(last.at)})"
            for name in changed]


def _anchor(rows: list, anchors: checkpoints.Anchors, chain: str) -> list[str]:
    head = anchors.heads.get(chain)
    if head is None:
        return []
    seq, mac, _ = head
    match = next((seal for seal in rows if seal.seq == seq), None)
    if match is None:
        return [f"verzegeling {seq} uit het controlepuntbestand ontbreekt: de geschiedenis is ingekort"]
    if match.mac != mac:
        return [f"verzegeling {seq} is anders dan in het controlepuntbestand: de geschiedenis is herschreven"]
    return []


def verify_case(ctx: Context, session: Session, case: Case, anchors: checkpoints.Anchors,
                replay: bool = True) -> CaseResult:
    result = CaseResult(case.id, case.referentie)
    chain = seals.case_chain(case.id)
    rows = session.scalars(select(AuditSeal).where(AuditSeal.chain == chain).order_by(AuditSeal.seq)).all()
    if not rows:
        result.findings.append("de casus is nooit verzegeld (buiten de applicatie aangemaakt?)")
        return result
    result.findings += check_chain(ctx, rows, chain)
    result.findings += _anchor(rows, anchors, chain)
    result.findings += _compare(rows[-1], seals.case_parts(session, case.id, ctx.audit,
                                                           legacy="taken" in rows[-1].parts))
    result.findings += _events(session, case.id)
    for sent in session.execute(select(VkVerzending.id, VkVerzending.pdf, VkVerzending.pdf_sha256)
                                .where(VkVerzending.case_id == case.id, VkVerzending.pdf.is_not(None))):
        if hashlib.sha256(sent.pdf).hexdigest() != sent.pdf_sha256:
            result.findings.append(f"de PDF van verzending {sent.id} in het verzendlog is gewijzigd")
    if replay and not result.findings and case.vernietigd_op is None:
        report = replay_case(ctx, session, case.id)
        result.replayed = True
        if not report.identical:
            result.findings.append(f"opnieuw uitvoeren: {report}")
    return result


def _events(session: Session, case_id: int) -> list[str]:
    prev = ""
    for expected, event in enumerate(session.scalars(select(Event).where(Event.case_id == case_id)
                                                     .order_by(Event.seq)), start=1):
        if event.seq != expected:
            return [f"gebeurtenis {expected} ontbreekt in de geschiedenis"]
        if event_hash(prev, event) != event.hash:
            return [f"gebeurtenis {event.seq} ({event.type}) is na vastlegging gewijzigd"]
        prev = event.hash
    return []


def _versions(ctx: Context, session: Session, anchors: checkpoints.Anchors) -> list[str]:
    findings = []
    rows = session.scalars(select(AuditSeal).where(AuditSeal.chain == seals.VERSIONS_CHAIN)
                           .order_by(AuditSeal.seq)).all()
    if not rows:
        return ["de procesversies zijn nooit verzegeld"]
    findings += [f"procesversies: {f}" for f in check_chain(ctx, rows, seals.VERSIONS_CHAIN)]
    findings += [f"procesversies: {f}" for f in _anchor(rows, anchors, seals.VERSIONS_CHAIN)]
    findings += _compare(rows[-1], seals.versions_parts(session))
    for version in session.execute(select(ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.xml,
                                          ProcessVersion.sha256)):
        if hashlib.sha256(version.xml.encode("utf-8")).hexdigest() != version.sha256:
            findings.append(f"het diagram van {version.process_id} versie {version.version} is gewijzigd")
    for stored in session.execute(select(BundleFile.sha256, BundleFile.content)):
        if hashlib.sha256(stored.content.encode("utf-8")).hexdigest() != stored.sha256:
            findings.append(f"een bestand van een procesversie (formulier, instellingen of brief, {stored.sha256[:12]}) "
                            "is gewijzigd")
    return findings


def _access_log(ctx: Context, session: Session, anchors: checkpoints.Anchors) -> list[str]:
    try:
        from . import access_log
    except ImportError:  # pragma: no cover - the access log module lands beside this one
        return []
    findings = [f"toegangslog regel {row_id}: {text}" for row_id, text in access_log.check_rows(ctx, session)]
    anchor = anchors.toegangslog
    if anchor and anchor.get("max_id"):
        present = session.scalar(select(func.count(ToegangLog.id)).where(ToegangLog.id <= anchor["max_id"])) or 0
        if present < anchor["aantal"]:
            findings.append(f"toegangslog: {anchor['aantal'] - present} regel(s) van voor het laatste controlepunt "
                            "zijn verwijderd")
        elif present > anchor["aantal"]:
            findings.append(f"toegangslog: {present - anchor['aantal']} regel(s) achteraf ingevoegd vóór het "
                            "laatste controlepunt")
    return findings


def verify(ctx: Context, case_id: int | None = None, replay: bool = True) -> Report:
    """Verify one case or all; each case in its own read transaction (a long run holds no snapshot)."""
    started = time.perf_counter()
    report = Report()
    anchors = checkpoints.read(ctx.audit, ctx.audit.checkpoint_file)
    report.checkpoint_lines = anchors.lines
    report.findings += anchors.findings
    with ctx.reading() as session:
        ids = [case_id] if case_id is not None else list(session.scalars(select(Case.id).order_by(Case.id)))
        known = set(session.scalars(select(Case.id)))
        sealed = {row.case_id for row in session.execute(
            select(AuditSeal.case_id).where(AuditSeal.case_id.is_not(None)).distinct())}
    for one in ids:
        with ctx.reading() as session:
            case = session.get(Case, one)
            if case is None:
                report.findings.append(f"casus {one} bestaat niet")
                continue
            report.cases.append(verify_case(ctx, session, case, anchors, replay=replay))
    if case_id is None:
        for chain, (_, _, referentie) in anchors.heads.items():
            if chain.startswith("casus:") and int(chain.split(":")[1]) not in known:
                report.findings.append(f"casus {referentie or chain.split(':')[1]} staat in het controlepuntbestand "
                                       "maar ontbreekt in de database (verwijderd)")
        for gone in sorted(sealed - known):
            if seals.case_chain(gone) not in anchors.heads:
                report.findings.append(f"casus {gone} is verzegeld maar ontbreekt in de database (verwijderd)")
        with ctx.reading() as session:
            report.findings += _versions(ctx, session, anchors)
            report.findings += _access_log(ctx, session, anchors)
    report.seconds = time.perf_counter() - started
    return report
