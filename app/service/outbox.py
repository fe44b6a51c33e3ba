"""Delivering the outbox: each message is taken by one worker, sent, and marked; failures back off.

A row is leased ('sending', locked_until) in its own short transaction before the SMTP
conversation, so two workers never send the same row, and a worker that dies mid-send leaves a
lease that expires and the row is tried again. Only a crash between the server's acceptance and
our commit can cause a second delivery; the Message-ID stays the same so it can be recognised.
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from persistence.models import OutboxAttachment, OutboxMessage

from .context import Context

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


def deliver_due(ctx: Context, sender, now: datetime | None = None, limit: int = 50) -> DeliveryResult:
    now = now or ctx.now()
    result = DeliveryResult()
    for message_id in _lease(ctx, now, limit):
        with ctx.transaction() as session:
            row = session.get(OutboxMessage, message_id)
            recipients, subject, body, attempts = list(row.recipients), row.subject, row.body, row.attempts
            attachments = [(a.filename, a.content_type, a.data) for a in session.scalars(
                select(OutboxAttachment).where(OutboxAttachment.message_id == message_id).order_by(OutboxAttachment.id))]
        try:
            sender.send(message_id=f"<outbox-{message_id}@veiligheidsteam.local>", recipients=recipients,
                        subject=subject, body=body, attachments=attachments)
            error = None
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        with ctx.transaction() as session:
            row = session.get(OutboxMessage, message_id)
            row.locked_until = None
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", ctx.now(), None
                result.sent += 1
            elif attempts >= MAX_ATTEMPTS:
                row.status, row.last_error = "failed", error
                result.failed += 1
            else:
                row.status, row.last_error = "pending", error
                row.next_attempt_at = now + backoff(attempts)
                result.retried += 1
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
