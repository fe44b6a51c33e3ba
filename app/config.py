"""Configuration from the environment, with defaults that run everything on one machine."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from persistence.db import DEFAULT_URL

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    processes_dir: Path
    forms_dir: Path
    secret_key: str
    base_url: str = "http://127.0.0.1:5000"
    # The session cookie only over HTTPS (set SECURE_COOKIES=1 behind TLS).
    secure_cookies: bool = False

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_URL,
            processes_dir=Path(os.environ.get("VHT_PROCESSES_DIR") or ROOT / "processes"),
            forms_dir=Path(os.environ.get("VHT_FORMS_DIR") or ROOT / "forms"),
            # Without a configured key every restart logs everybody out; fine for the demo.
            secret_key=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
            # Where people open the product: used for links in mails.
            base_url=os.environ.get("BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}",
            secure_cookies=os.environ.get("SECURE_COOKIES", "").lower() in ("1", "true", "ja", "yes"),
        )
