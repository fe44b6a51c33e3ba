"""Passwords, API tokens and the login rate limit."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from persistence.models import LoginAttempt, User

from .context import Context
from .errors import PermissionDenied, ServiceError
from .users import require_user

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
# Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("niet-bestaand", method="scrypt")


class TooManyAttempts(ServiceError):
    code = "te_veel_pogingen"


def set_password(session: Session, username: str, password: str) -> None:
    if len(password) < 8:
        raise PermissionDenied("Een wachtwoord heeft minstens 8 tekens.")
    require_user(session, username).password_hash = generate_password_hash(password, method="scrypt")


def authenticate(ctx: Context, session: Session, username: str, password: str, client: str) -> User | None:
    """The user, or None for a wrong name or password; TooManyAttempts after 5 failures in 15 minutes."""
    now = ctx.now()
    keys = [f"user:{username.lower()}", f"client:{client}"]
    # Per account and per client: guessing one account, or many accounts from one place.
    recent = session.execute(
        select(func.count()).select_from(LoginAttempt)
        .where(LoginAttempt.key.in_(keys), LoginAttempt.at > now - WINDOW).group_by(LoginAttempt.key)
    ).scalars().all()
    if max(recent, default=0) >= MAX_FAILURES:
        raise TooManyAttempts("Te veel mislukte pogingen. Probeer het over een kwartier opnieuw.")
    user = session.get(User, username)
    valid = check_password_hash(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    if not (valid and user and user.actief and user.password_hash):
        for key in keys:
            session.add(LoginAttempt(key=key, at=now))
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, username: str) -> str:
    """A new API token for `username` (replacing the old one); shown once."""
    user = require_user(session, username)
    token = "vht_" + secrets.token_urlsafe(32)
    user.api_token_hash = _token_hash(token)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = session.scalars(select(User).where(User.api_token_hash == _token_hash(token))).first()
    return user if user is not None and user.actief else None
