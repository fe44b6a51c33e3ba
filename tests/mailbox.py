"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the mail tests."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Mail(dict):
    """to (envelope recipients), subject, id, body (text), files {name: (type, bytes, part)};
    .message is the whole parsed EmailMessage."""

    message = None


class Mailbox:
    def __init__(self):
        self.mails: list[Mail] = []
        self.port: int | None = None

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain",))
        mail = Mail(
            to=envelope.rcpt_tos, subject=str(message["Subject"]), id=message["Message-ID"],
            body=body.get_content() if body is not None else "",
            files={part.get_filename(): (part.get_content_type(), part.get_payload(decode=True), part)
                   for part in message.iter_attachments()},
        )
        mail.message = message
        self.mails.append(mail)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[Mailbox, Controller]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    return box, controller
