"""Sending one mail over SMTP (host, port, TLS and login from the environment), and what counts
as a mail address (RFC 5322, checked by the maintained `email-validator`, no DNS lookups)."""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from email_validator import EmailNotValidError, validate_email

INVALID_ADDRESS = "Vul een geldig e-mailadres in, bijvoorbeeld naam@organisatie.nl."


class InvalidAddress(ValueError):
    """Not a deliverable address: no retry will ever make it one."""


def check_address(text: str) -> str:
    """The address as mail servers want it; InvalidAddress (Dutch) for anything that is not one
    plain address: CR/LF, a display name, a missing domain, a reserved name such as .local."""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except (EmailNotValidError, TypeError) as exc:
        raise InvalidAddress(INVALID_ADDRESS) from exc


def is_address(text) -> bool:
    try:
        check_address(text)
        return True
    except InvalidAddress:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: str | None = None
    sender: str = "VeiligheidsTeam <noreply@veiligheidsteam.local>"
    timeout: float = 20.0

    @classmethod
    def from_env(cls) -> "SmtpSettings":
        env = os.environ
        return cls(
            host=env.get("SMTP_HOST", cls.host),
            port=int(env.get("SMTP_PORT", cls.port)),
            security=env.get("SMTP_SECURITY", cls.security).lower(),
            username=env.get("SMTP_USER") or None,
            password=env.get("SMTP_PASSWORD") or None,
            sender=env.get("MAIL_FROM", cls.sender),
            timeout=float(env.get("SMTP_TIMEOUT", cls.timeout)),
        )


class SmtpSender:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, *, message_id: str, recipients: list[str], subject: str, body: str,
             attachments: list[tuple[str, str, bytes]] = ()) -> dict:
        """Deliver, or raise. Returns the recipients the server refused while taking the others
        ({address: (code, reply)}); smtplib raises SMTPRecipientsRefused only when it took none."""
        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.sender
        mail["To"] = ", ".join(check_address(r) for r in recipients)
        mail["Subject"] = " ".join(subject.split())  # a header is one line
        mail["Date"] = formatdate(localtime=True)
        # Stable per outbox row: a receiving server can recognise a resend after a crash.
        mail["Message-ID"] = message_id
        mail.set_content(body)
        for filename, content_type, data in attachments:
            maintype, _, subtype = content_type.partition("/")
            params = {"params": {"method": "REQUEST"}} if content_type == "text/calendar" else {}
            mail.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename,
                                **params)
        if s.security == "ssl":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with client:
            if s.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.username:
                client.login(s.username, s.password or "")
            return client.send_message(mail)
