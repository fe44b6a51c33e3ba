"""The local mail catcher: without SMTP_HOST the product's mail goes to an SMTP server on loopback
(aiosmtpd) that keeps each mail as an .eml file under instance/mail/, so that on a fresh machine
the beheerder sees at /beheer/mail the letters and cards the product sends. Nothing leaves the
machine. With SMTP_HOST set the catcher is off and mail goes to that server.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from app.config import INSTANCE_DIR

log = logging.getLogger("vht.mailcatcher")
HOST = "127.0.0.1"
DEFAULT_PORT = 8025
# The names the catcher gives its files: a sortable UTC time and a random part (see _name()).
NAME = re.compile(r"^\d{8}T\d{6}\d{6}Z-[0-9a-f]{8}$")


def enabled() -> bool:
    """On unless a real mail server is configured."""
    return not os.environ.get("SMTP_HOST", "").strip()


def mail_dir() -> Path:
    instance = Path(os.environ.get("VHT_INSTANCE_DIR") or INSTANCE_DIR)
    return Path(os.environ.get("VHT_MAIL_DIR") or instance / "mail")


def port() -> int:
    return int(os.environ.get("VHT_MAILCATCHER_PORT") or DEFAULT_PORT)


class _Keeper:
    """aiosmtpd handler: each mail one file, written beside and renamed, so a reader never sees half."""

    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        self.folder.mkdir(parents=True, exist_ok=True)
        name = _name()
        partial = self.folder / f".{name}.part"
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.replace(self.folder / f"{name}.eml")
        return "250 OK"


def _name() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"


def start(folder: Path | None = None, at_port: int | None = None):
    """The catcher running in a thread (its Controller; .stop() ends it). OSError when the port is taken."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection
    controller = Controller(_Keeper(folder or mail_dir()), hostname=HOST, port=at_port or port())
    controller.start()
    log.info("lokale mailcatcher op %s:%s bewaart de post in %s", HOST, controller.port, folder or mail_dir())
    return controller


# --- reading what was caught, for /beheer/mail ---------------------------------------------------

@dataclass
class Attachment:
    number: int
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass
class CaughtMail:
    name: str
    message_id: str
    sender: str
    to: str
    subject: str
    sent: datetime | None
    body: str
    attachments: list[Attachment]


def caught(folder: Path | None = None, limit: int = 200) -> list[CaughtMail]:
    """The newest first."""
    folder = folder or mail_dir()
    if not folder.is_dir():
        return []
    names = sorted((p.stem for p in folder.glob("*.eml") if NAME.match(p.stem)), reverse=True)
    return [read(name, folder) for name in names[:limit]]


def read(name: str, folder: Path | None = None) -> CaughtMail | None:
    """One caught mail by its name; None for a name the catcher did not give."""
    path = (folder or mail_dir()) / f"{name}.eml"
    if not NAME.match(name) or not path.is_file():
        return None
    message: EmailMessage = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    try:
        sent = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        sent = None
    attachments = [Attachment(n, part.get_filename() or f"bijlage-{n}", part.get_content_type(),
                              part.get_payload(decode=True) or b"")
                   for n, part in enumerate(message.iter_attachments(), start=1)]
    return CaughtMail(name=name, message_id=str(message["Message-ID"] or ""), sender=str(message["From"] or ""), to=str(message["To"] or ""),
                      subject=str(message["Subject"] or ""), sent=sent,
                      body=body.get_content() if body is not None else "", attachments=attachments)
