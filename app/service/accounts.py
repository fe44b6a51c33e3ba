"""Passwords, API tokens and logging in (the rate limit itself is login_limit.py)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from persistence.models import User

from . import login_limit, web_sessions
from .context import Context
from .errors import PermissionDenied
from .login_limit import TooManyAttempts  # noqa: F401 - also imported from here by the web layer
from .users import require_user

MIN_PASSWORD = 8
# Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("niet-bestaand", method="scrypt")


def hash_password(password: str) -> str:
    """Slow on purpose (scrypt): compute it before a transaction, not inside one."""
    if len(password) < MIN_PASSWORD:
        raise PermissionDenied(f"Een wachtwoord heeft minstens {MIN_PASSWORD} tekens.")
    return generate_password_hash(password, method="scrypt")


def set_password_hash(session: Session, now: datetime, username: str, password_hash: str) -> None:
    """A new password ends every browser session of the user (a copied cookie, a forgotten login)."""
    require_user(session, username).password_hash = password_hash
    web_sessions.revoke_all(session, now, username)


def authenticate(ctx: Context, username: str, password: str, client: str) -> User | None:
    """The user, or None for a wrong name or password; TooManyAttempts when rate limited.

    Three short transactions, none of them held while scrypt runs: count the try (login_limit),
    check the password, take the try back when it was right.
    """
    keys = login_limit.Keys.of(username, client)
    with ctx.apart():  # in a login request too: the count commits before scrypt runs
        with ctx.transaction() as session:
            login_limit.count_try(session, ctx.now(), keys)
            user = session.get(User, username)
            stored = user.password_hash if user is not None and user.actief else None
        if not check_password_hash(stored or _DUMMY_HASH, password) or not stored:
            return None
        with ctx.transaction() as session:
            login_limit.take_back(session, ctx.now(), keys)
            user = session.get(User, username)
            # Changed or deactivated while the password was checked: that password no longer opens it.
            if user is None or not user.actief or user.password_hash != stored:
                return None
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
