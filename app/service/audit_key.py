"""The audit key: what makes the seals, the access log's row macs and the checkpoints keyed.

The key is never in the database, so a person with database access (and the source) can read the
seals but not make new ones: a rewritten history no longer verifies. It comes from
`VHT_AUDIT_KEY` (at least 32 characters) or from the file named by `VHT_AUDIT_KEY_FILE`. Outside
production, with neither set, a key is made once in `.vht-audit/audit_key` beside the checkout
(outside `instance/`, where the database lives); with `VHT_ENV=production` the start stops instead.

The checkpoint file (signed chain heads, app/service/checkpoints.py) is `VHT_CHECKPOINT_FILE`;
outside production it defaults to a file per database in `.vht-audit/`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from app.config import ConfigError, write_key_once

ROOT = Path(__file__).resolve().parent.parent.parent
AUDIT_DIR = ROOT / ".vht-audit"
MIN_LENGTH = 32


@dataclass(frozen=True)
class AuditKey:
    key: bytes
    checkpoint_file: Path
    # How often the worker writes a checkpoint (minutes); deployments always write one.
    checkpoint_minutes: int = 60

    def mac(self, *parts: str) -> str:
        """HMAC-SHA256 (hex) over the parts, each length-prefixed so no two part lists collide."""
        digest = hmac.new(self.key, digestmod=hashlib.sha256)
        for part in parts:
            raw = str(part).encode("utf-8")
            digest.update(len(raw).to_bytes(8, "big"))
            digest.update(raw)
        return digest.hexdigest()

    def check(self, mac: str | None, *parts: str) -> bool:
        return bool(mac) and hmac.compare_digest(mac, self.mac(*parts))

    @classmethod
    def from_env(cls, database_url: str | None = None) -> "AuditKey":
        production = os.environ.get("VHT_ENV", "").strip().lower() == "production"
        key = _key_from_env(production)
        checkpoint = os.environ.get("VHT_CHECKPOINT_FILE", "").strip()
        if not checkpoint:
            if production:
                raise ConfigError("VHT_CHECKPOINT_FILE is niet ingesteld. Met VHT_ENV=production start de "
                                  "applicatie niet zonder: kies een bestand buiten de database (bij voorkeur "
                                  "op een andere schijf of machine) waarin de controlepunten worden bijgeschreven.")
            name = hashlib.sha256((database_url or "default").encode()).hexdigest()[:12]
            checkpoint = str(AUDIT_DIR / f"controlepunten-{name}.jsonl")
        minutes = os.environ.get("VHT_CHECKPOINT_MINUTES", "").strip() or "60"
        if not minutes.isdigit() or int(minutes) < 1:
            raise ConfigError(f"VHT_CHECKPOINT_MINUTES moet een geheel getal van minstens 1 zijn, niet '{minutes}'.")
        return cls(key=key, checkpoint_file=Path(checkpoint), checkpoint_minutes=int(minutes))


def canonical(value) -> str:
    """The one text form a sealed value is hashed in: sorted keys, no whitespace, dates as ISO."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def digest(value) -> str:
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def _key_from_env(production: bool) -> bytes:
    value = os.environ.get("VHT_AUDIT_KEY", "").strip()
    if value:
        if len(value) < MIN_LENGTH:
            raise ConfigError(f"VHT_AUDIT_KEY is te kort ({len(value)} tekens); gebruik minstens {MIN_LENGTH} "
                              "willekeurige tekens, bijvoorbeeld de uitvoer van `vht audit-sleutel --nieuw`.")
        return value.encode("utf-8")
    path = os.environ.get("VHT_AUDIT_KEY_FILE", "").strip()
    if path:
        return _read_key_file(Path(path))
    if production:
        raise ConfigError("Er is geen auditsleutel. Met VHT_ENV=production start de applicatie niet zonder: "
                          "stel VHT_AUDIT_KEY in, of VHT_AUDIT_KEY_FILE op een sleutelbestand buiten de "
                          "datamap (zie README, 'Bewijs dat er niets is gewijzigd').")
    return _read_key_file(write_key_once(AUDIT_DIR / "audit_key"))


def _read_key_file(path: Path) -> bytes:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"Het auditsleutelbestand {path} kan niet gelezen worden ({exc.strerror}).") from None
    if len(value) < MIN_LENGTH:
        raise ConfigError(f"Het auditsleutelbestand {path} bevat geen bruikbare sleutel (minstens {MIN_LENGTH} tekens).")
    return value.encode("utf-8")
