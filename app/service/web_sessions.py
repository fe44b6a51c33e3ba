"""Browser sessions kept on the server: a cookie that was copied, logged out, outlived its idle
time or its lifetime, or belongs to a changed password or a deactivated account counts for nothing."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from persistence.models import User, WebSession

# last_seen_at is written at most this often: a page request costs no write, one a minute does.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta = timedelta(minutes=60)
    maximum: timedelta = timedelta(hours=10)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_id(token: str) -> str:
    """The id a session is stored (and named in the access log) by: never the token itself."""
    return _hash(token)


def open_session(session: Session, now: datetime, username: str, client: str | None, lifetime: Lifetime) -> str:
    """A new session for `username`; returns the token for the cookie (only its hash is stored)."""
    # The user's sessions that ended are of no use any more: the table grows with people, not logins.
    session.execute(delete(WebSession).where(
        WebSession.username == username,
        or_(WebSession.revoked_at.is_not(None), WebSession.created_at <= now - lifetime.maximum,
            WebSession.last_seen_at <= now - lifetime.idle)))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=_hash(token), username=username, created_at=now, last_seen_at=now,
                           client=(client or "")[:64] or None))
    return token


def lookup(session: Session, now: datetime, token: str, lifetime: Lifetime) -> tuple[User | None, bool]:
    """The active user of a session that still counts (or None), and whether its last_seen_at is
    due to be written (`touch`): only reads, so a page that writes nothing else takes no lock."""
    if not token:
        return None, False
    row = session.execute(select(WebSession, User).join(User, User.username == WebSession.username)
                          .where(WebSession.id == _hash(token))).first()
    if row is None:
        return None, False
    web_session, user = row
    if (web_session.revoked_at is not None or not user.actief
            or now - web_session.last_seen_at > lifetime.idle or now - web_session.created_at > lifetime.maximum):
        return None, False
    return user, now - web_session.last_seen_at >= TOUCH_EVERY


def touch(session: Session, now: datetime, token: str) -> None:
    session.execute(update(WebSession).where(WebSession.id == _hash(token)).values(last_seen_at=now))


def user_for(session: Session, now: datetime, token: str, lifetime: Lifetime) -> User | None:
    """The active user of a session that still counts, or None (its last_seen_at written when due)."""
    user, due = lookup(session, now, token, lifetime)
    if due:
        touch(session, now, token)
    return user


def revoke(session: Session, now: datetime, token: str) -> None:
    session.execute(update(WebSession).where(WebSession.id == _hash(token), WebSession.revoked_at.is_(None))
                    .values(revoked_at=now))


def revoke_all(session: Session, now: datetime, username: str) -> int:
    """Every open session of `username` (password changed, account deactivated); how many."""
    return session.execute(update(WebSession).where(WebSession.username == username, WebSession.revoked_at.is_(None))
                           .values(revoked_at=now)).rowcount
