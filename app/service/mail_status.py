"""What became of a mail, in the words the send log and the case history use.

A mail is "verzonden" only once the mail server accepted it (outbox.py sets sent_at then); before
that it is in the queue, and a refusal or an unreachable server shows as a retry with its reason.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from persistence.models import OutboxAttachment, OutboxMessage

from .form_values import moment

REASON_LENGTH = 200
# The usual trouble in words a professional understands; anything else as the server said it.
PLAIN = (
    (("ConnectionRefusedError", "Connection refused"), "de mailserver was niet bereikbaar"),
    (("TimeoutError", "timed out"), "de mailserver reageerde niet op tijd"),
    (("gaierror", "Name or service not known"), "de mailserver is onbekend (klopt het adres?)"),
    (("SMTPAuthenticationError",), "de mailserver weigerde de aanmelding"),
    (("SMTPServerDisconnected",), "de mailserver verbrak de verbinding"),
)


def reason(error: str | None) -> str:
    text = (error or "").strip()
    for markers, plain in PLAIN:
        if any(marker in text for marker in markers):
            return plain
    return text[:REASON_LENGTH] or "onbekende reden"


def describe(mail: OutboxMessage) -> str:
    why = reason(mail.last_error)
    if mail.status == "sent":
        sent = f"verzonden op {moment(mail.sent_at, seconds=True)}" if mail.sent_at else "verzonden"
        return f"{sent}; niet aan iedereen: {why}" if mail.last_error else sent  # some refused
    if mail.status == "failed":
        tries = f" (na {mail.attempts} {'poging' if mail.attempts == 1 else 'pogingen'})" if mail.attempts else ""
        return f"mislukt: {why}{tries}"
    if mail.status == "sending":
        return "in de wachtrij: wordt nu aan de mailserver aangeboden"
    if mail.attempts and mail.last_error:
        return (f"in de wachtrij: poging {mail.attempts} mislukt ({why}); "
                f"volgende poging {moment(mail.next_attempt_at, seconds=True)}")
    return "in de wachtrij"


def of_sends(session: Session, send_ids: list[int]) -> dict[int, str]:
    """{send-log row id: what became of the mail(s) that carried it}; rows without a mail are absent."""
    found: dict[int, list[str]] = {}
    for send_id, mail in session.execute(
        select(OutboxAttachment.vk_verzending_id, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == OutboxAttachment.message_id)
        .where(OutboxAttachment.vk_verzending_id.in_(send_ids)).order_by(OutboxMessage.id)
    ).all():
        text = describe(mail)
        if text not in found.setdefault(send_id, []):
            found[send_id].append(text)
    return {send_id: "; ".join(texts) for send_id, texts in found.items()}
