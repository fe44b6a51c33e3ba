"""What the benches share: a fresh database with the bundle deployed, an audit key and a
checkpoint file of its own (in the bench's temporary folder), and a clock the bench moves."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from app.engine.clock import TZ, FixedClock
from app.service import Service

ROOT = Path(__file__).resolve().parent.parent


def fresh_service(tmp: str, database_url: str | None, name: str) -> tuple[Service, FixedClock, str]:
    """(service, clock, url) on `database_url` (which must be empty) or a new SQLite file in `tmp`."""
    os.environ.setdefault("VHT_AUDIT_KEY", "bench-audit-key-0123456789abcdef0123456789abcdef")
    os.environ["VHT_CHECKPOINT_FILE"] = f"{tmp}/controlepunten.jsonl"
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    url = database_url or f"sqlite:///{tmp}/{name}.sqlite"
    service = Service(url, ROOT / "processes", ROOT / "forms", clock=clock)
    service.init_db()
    service.deploy(reden=f"{name} bench")
    return service, clock, url
