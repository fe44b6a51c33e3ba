"""Sending one mail over SMTP (host, port, TLS and login from the environment)."""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate


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
             attachments: list[tuple[str, str, bytes]] = ()) -> None:
        """Deliver or raise (OSError / smtplib.SMTPException): the caller retries later."""
        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.sender
        mail["To"] = ", ".join(recipients)
        mail["Subject"] = subject
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
            client.send_message(mail)
