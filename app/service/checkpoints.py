"""Checkpoints: the chain heads, signed and appended to a file outside the database.

A seal chain proves that nothing in it was rewritten, but not that nothing was cut off: whoever
deletes a whole case with its seals, or the last seals of one, leaves a shorter chain that still
verifies. So at intervals (the worker, every VHT_CHECKPOINT_MINUTES), at every deployment and on
`vht controlepunt`, the heads of the chains that moved since the previous checkpoint are written as
one JSON line, with an HMAC (the audit key) over the line and the previous line's HMAC, to the
append-only file VHT_CHECKPOINT_FILE. `vht verify` folds the file into the last known head of
every chain and requires each still to be in the database, unchanged. The file can be printed
(`vht controlepunt --toon`) or mailed (`--mail`) to keep a copy beyond the reach of a database
administrator.
"""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from persistence.models import AuditSeal, Case, ToegangLog

from .audit_key import AuditKey, canonical

FORMAT = 1


@dataclass
class Anchors:
    """What the checkpoint file says must be in the database."""

    heads: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)  # chain -> (seq, mac, referentie)
    toegangslog: dict | None = None
    lines: int = 0
    last_at: datetime | None = None
    findings: list[str] = field(default_factory=list)  # about the file itself


def _line_mac(key: AuditKey, line: dict) -> str:
    return key.mac("controlepunt", canonical({k: v for k, v in line.items() if k != "mac"}))


def read(key: AuditKey, path: Path) -> Anchors:
    anchors = Anchors()
    if not path.exists():
        return anchors
    previous = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            anchors.findings.append(f"controlepuntbestand regel {number}: geen geldige JSON")
            continue
        if not key.check(line.get("mac"), "controlepunt", canonical({k: v for k, v in line.items() if k != "mac"})):
            anchors.findings.append(f"controlepuntbestand regel {number}: handtekening klopt niet "
                                    "(gewijzigd of met een andere sleutel gemaakt)")
            continue
        if line.get("vorige", "") != previous:
            anchors.findings.append(f"controlepuntbestand regel {number}: sluit niet aan op de regel ervoor "
                                    "(een controlepunt is verwijderd of ingevoegd)")
        previous = line["mac"]
        for chain, head in line.get("ketens", {}).items():
            anchors.heads[chain] = (head[0], head[1], head[2] if len(head) > 2 else None)
        if line.get("toegangslog"):
            anchors.toegangslog = line["toegangslog"]
        anchors.lines += 1
        anchors.last_at = datetime.fromisoformat(line["at"])
    return anchors


def _last_line(path: Path) -> dict | None:
    if not path.exists():
        return None
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        block = b""
        while size > 0 and block.count(b"\n") < 2:
            step = min(4096, size)
            size -= step
            handle.seek(size)
            block = handle.read(step) + block
    lines = [raw for raw in block.decode("utf-8", errors="replace").splitlines() if raw.strip()]
    try:
        return json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None


def write(key: AuditKey, session: Session, now: datetime, reden: str) -> dict:
    """Append a checkpoint with the heads of every chain that moved since the last one."""
    path = key.checkpoint_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # two processes checkpointing at once append one after the other
        try:
            last = _last_line(path)
            since = (last or {}).get("tot_zegel", 0)
            heads: dict[str, list] = {}
            rows = session.execute(select(AuditSeal.id, AuditSeal.chain, AuditSeal.case_id, AuditSeal.seq, AuditSeal.mac)
                                   .where(AuditSeal.id > since).order_by(AuditSeal.id)).all()
            references = dict(session.execute(select(Case.id, Case.referentie).where(
                Case.id.in_({row.case_id for row in rows if row.case_id is not None}))).all()) if rows else {}
            for row in rows:
                heads[row.chain] = [row.seq, row.mac, references.get(row.case_id)]
            log = session.execute(select(func.max(ToegangLog.id), func.count(ToegangLog.id))).first()
            line = {
                "formaat": FORMAT, "volgnummer": ((last or {}).get("volgnummer", 0)) + 1, "at": now.isoformat(),
                "reden": reden, "tot_zegel": rows[-1].id if rows else since, "ketens": heads,
                "aantal_ketens": session.scalar(select(func.count(func.distinct(AuditSeal.chain)))) or 0,
                "toegangslog": {"max_id": log[0] or 0, "aantal": log[1] or 0},
                "vorige": (last or {}).get("mac", ""),
            }
            line["mac"] = _line_mac(key, line)
            handle.seek(0, os.SEEK_END)
            handle.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return line


def due(key: AuditKey, now: datetime) -> bool:
    last = _last_line(key.checkpoint_file)
    if last is None:
        return True
    try:
        return now - datetime.fromisoformat(last["at"]) >= timedelta(minutes=key.checkpoint_minutes)
    except (KeyError, ValueError):
        return True


def last_line(key: AuditKey) -> dict | None:
    return _last_line(key.checkpoint_file)


def printable(line: dict) -> str:
    """The last checkpoint as text for paper or mail: enough to compare with the file later."""
    return "\n".join([
        f"Controlepunt {line['volgnummer']} van {line['at']} ({line.get('reden', '')})",
        f"Ketens bijgewerkt in dit controlepunt: {len(line.get('ketens', {}))}; ketens in totaal: "
        f"{line.get('aantal_ketens')}",
        f"Toegangslog: {line.get('toegangslog', {}).get('aantal')} regels, hoogste nummer "
        f"{line.get('toegangslog', {}).get('max_id')}",
        f"Handtekening (HMAC-SHA256): {line['mac']}",
        f"Vorige handtekening: {line.get('vorige') or '-'}",
    ])


def write_now(ctx, reden: str) -> dict:
    """A checkpoint of the database as committed now (its own read transaction)."""
    with ctx.reading() as session:
        return write(ctx.audit, session, ctx.now(), reden)
