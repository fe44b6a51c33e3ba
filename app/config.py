"""Configuration from the environment, with defaults that run everything on one machine."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from persistence.db import DEFAULT_URL

ROOT = Path(__file__).resolve().parent.parent
# Where the default SQLite database lives (persistence.db.DEFAULT_URL), and the generated secret key.
INSTANCE_DIR = ROOT / "instance"
SECRET_KEY_FILE = "secret_key"


class ConfigError(Exception):
    """A setting that stops the start: the message (Dutch) says which and what to do."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    processes_dir: Path
    forms_dir: Path
    secret_key: str
    base_url: str = "http://127.0.0.1:5000"
    # The session cookie only over HTTPS (set SECURE_COOKIES=1 behind TLS).
    secure_cookies: bool = False
    # How many reverse proxies stand before the server: their X-Forwarded-For / -Proto are trusted.
    trusted_proxies: int = 0
    # A browser session ends after this long without a request, and after this long at all.
    session_idle_minutes: int = 60
    session_max_hours: int = 10
    # `vht demo` loads demo users and cases (into an empty database only); off in production.
    demo: bool = True

    @classmethod
    def from_env(cls) -> "Settings":
        production = os.environ.get("VHT_ENV", "").strip().lower() == "production"
        instance_dir = Path(os.environ.get("VHT_INSTANCE_DIR") or INSTANCE_DIR)
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_URL,
            processes_dir=Path(os.environ.get("VHT_PROCESSES_DIR") or ROOT / "processes"),
            forms_dir=Path(os.environ.get("VHT_FORMS_DIR") or ROOT / "forms"),
            secret_key=os.environ.get("SECRET_KEY") or _instance_secret_key(instance_dir, production),
            # Where people open the product: used for links in mails.
            base_url=os.environ.get("BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}",
            secure_cookies=_flag("SECURE_COOKIES", False),
            trusted_proxies=_count("TRUSTED_PROXIES", 0),
            session_idle_minutes=_count("VHT_SESSION_IDLE_MINUTES", 60, minimum=1),
            session_max_hours=_count("VHT_SESSION_MAX_HOURS", 10, minimum=1),
            demo=_flag("VHT_DEMO", not production),
        )


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in ("1", "true", "ja", "yes", "on")


def _count(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ConfigError(f"{name} moet een geheel getal van minstens {minimum} zijn, niet '{value}'.")
    return int(value)


def _instance_secret_key(instance_dir: Path, production: bool) -> str:
    """The key kept in instance/secret_key, made on first use.

    A key per start would log everyone out at every restart, and two server processes would
    not accept each other's cookies (write_key_once: both read the one key that won).
    """
    if production:
        raise ConfigError("SECRET_KEY is niet ingesteld. Met VHT_ENV=production start de applicatie "
                          "niet zonder; stel SECRET_KEY in op een lange willekeurige waarde.")
    path = write_key_once(instance_dir / SECRET_KEY_FILE)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path} bevat geen bruikbare sleutel; verwijder het bestand of stel SECRET_KEY in.")
    return key


def write_key_once(path: Path) -> Path:
    """Make a random key file (mode 0600) unless it exists. Written whole under a temporary name
    and then linked into place, which fails when it already exists: two processes starting
    together both end up reading the one key that won."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process was first: its key counts
    finally:
        temporary.unlink(missing_ok=True)
    return path
