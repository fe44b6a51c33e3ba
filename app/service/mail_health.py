"""Is the mail server refusing or out of reach? Read from the outbox: the oldest message that failed
to go out since the last one that did. A bad address is the message's fault, not the server's."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from persistence.models import OutboxMessage

WARN_AFTER = timedelta(minutes=15)
_ADDRESS_ERRORS = ("Ongeldig e-mailadres%", "Geen ontvangers%")


def failing_since(session: Session) -> datetime | None:
    """When the mail server's trouble began (the creation of the first message it has not taken
    since it last took one), or None when it takes mail."""
    last_sent = session.scalar(select(func.max(OutboxMessage.sent_at)).where(OutboxMessage.status == "sent"))
    query = select(func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status.in_(("pending", "sending", "failed")), OutboxMessage.attempts > 0,
        OutboxMessage.last_error.is_not(None), *(OutboxMessage.last_error.not_like(p) for p in _ADDRESS_ERRORS))
    if last_sent is not None:
        query = query.where(OutboxMessage.created_at > last_sent)
    return session.scalar(query)


def trouble(session: Session, now: datetime) -> datetime | None:
    """The start of the trouble when it has lasted longer than WARN_AFTER, else None."""
    since = failing_since(session)
    return since if since is not None and now - since > WARN_AFTER else None
