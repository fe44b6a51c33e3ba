"""Delivering the outbox: each message is taken by one worker, sent, and marked; failures back off.

A row is leased ('sending', locked_until) in its own short transaction before the SMTP
conversation, so two workers never send the same row, and a worker that dies mid-send leaves a
lease that expires and the row is tried again. Only a crash between the server's acceptance and
our commit can cause a second delivery; the Message-ID stays the same so it can be recognised.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.mail import InvalidAddress, check_address
from persistence.models import OutboxAttachment, OutboxMessage

from . import pdfs
from .context import Context

log = logging.getLogger("vht.outbox")

MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _lease(ctx: Context, now: datetime, limit: int) -> list[int]:
    with ctx.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.next_attempt_at <= now,
                   or_(OutboxMessage.status == "pending",
                       (OutboxMessage.status == "sending") & (OutboxMessage.locked_until < now)))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.status = "sending"
            row.locked_until = now + LEASE
            row.attempts += 1
        return [row.id for row in rows]


def _permanent(exc: Exception) -> bool:
    """Errors no retry can cure: a malformed address, or a server's 5xx about this message."""
    if isinstance(exc, InvalidAddress):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "Geweigerd door de mailserver: " + "; ".join(
            f"{address} ({code} {_text(reply)})" for address, (code, reply) in exc.recipients.items())
    return f"{type(exc).__name__}: {exc}"


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _attempt(ctx: Context, sender, message_id: int) -> tuple[str, str | None]:
    """Send one leased message: ('sent' | 'retry' | 'failed', what went wrong)."""
    with ctx.transaction() as session:
        row = session.get(OutboxMessage, message_id)
        recipients, subject, body = list(row.recipients or []), row.subject, row.body
        unmade = session.scalars(select(OutboxAttachment.id).where(OutboxAttachment.message_id == message_id,
                                                                   OutboxAttachment.data.is_(None))).all()
    if unmade:  # the act's process stopped before it made its PDFs: make them now, outside a transaction
        pdfs.render_pending(ctx, list(unmade))
    with ctx.transaction() as session:
        attachments = [(a.filename, a.content_type, a.data) for a in session.scalars(
            select(OutboxAttachment).where(OutboxAttachment.message_id == message_id).order_by(OutboxAttachment.id))]
    good, bad = [], []
    for address in recipients:
        try:
            good.append(check_address(address))
        except InvalidAddress:
            bad.append(address)
    notes = [f"Ongeldig e-mailadres, niet verstuurd: {a!r}" for a in bad]
    if not good:
        return "failed", "; ".join(notes) or "Geen ontvangers."
    try:
        refused = sender.send(message_id=f"<outbox-{message_id}@veiligheidsteam.local>", recipients=good,
                              subject=subject, body=body, attachments=attachments) or {}
    except Exception as exc:  # noqa: BLE001 - whatever one message does, the others still go out
        return ("failed" if _permanent(exc) else "retry"), "; ".join([*notes, _describe(exc)])
    notes += [f"Geweigerd door de mailserver: {a} ({code} {_text(reply)})" for a, (code, reply) in refused.items()]
    return "sent", "; ".join(notes) or None


def _mark(ctx: Context, message_id: int, outcome: str, error: str | None, now: datetime) -> None:
    with ctx.transaction() as session:
        row = session.get(OutboxMessage, message_id)
        row.locked_until = None
        row.last_error = error[:2000] if error else None
        if outcome == "sent":
            row.status, row.sent_at = "sent", ctx.now()
        elif outcome == "failed" or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.status, row.next_attempt_at = "pending", now + backoff(row.attempts)


def deliver_due(ctx: Context, sender, now: datetime | None = None, limit: int = 50) -> DeliveryResult:
    """One round: every due message is tried once, and one message's trouble never stops the round.

    A message nobody can ever deliver (an invalid address, a permanent 5xx) is 'failed' at once
    with the reason; other errors are retried with backoff until MAX_ATTEMPTS. Recipients that
    are invalid or refused while others were taken are named in last_error of the sent message.
    """
    now = now or ctx.now()
    result = DeliveryResult()
    for message_id in _lease(ctx, now, limit):
        try:
            outcome, error = _attempt(ctx, sender, message_id)
        except Exception as exc:  # noqa: BLE001 - e.g. an unreadable row: mark it and go on
            outcome, error = "retry", f"{type(exc).__name__}: {exc}"
        try:
            _mark(ctx, message_id, outcome, error, now)
        except Exception:  # noqa: BLE001 - the lease expires and the message is tried again
            log.exception("outbox message %s could not be marked; its lease will expire", message_id)
            continue
        if outcome == "sent":
            result.sent += 1
        elif outcome == "failed":
            result.failed += 1
        else:
            result.retried += 1
        if outcome != "sent" or error:
            log.warning("outbox message %s: %s", message_id, outcome)
    return result


def listing(session: Session, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    query = select(OutboxMessage)
    if status:
        query = query.where(OutboxMessage.status == status)
    return session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()


def retry_now(ctx: Context, session: Session, message_id: int) -> OutboxMessage:
    """A beheerder sends a failed message again (after fixing the mail server or the address)."""
    row = session.get(OutboxMessage, message_id)
    if row is not None and row.status in ("failed", "pending"):
        row.status, row.next_attempt_at, row.attempts = "pending", ctx.now(), 0
    return row
