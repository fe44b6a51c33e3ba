"""Logging in and out, the logged-in user, and `login_required` for every page.

The Flask cookie (signed) carries only the session's random token; the session itself lives in
the database (service.web_sessions) and is checked on every request, so logging out, a new
password or deactivation ends it everywhere, also in a copied cookie.
"""
from __future__ import annotations

import functools
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from app.service.login_limit import TooManyAttempts
from app.service.web_sessions import Lifetime

from .blueprint import page_blueprint
from .security import new_csrf_token

bp = page_blueprint("auth", __name__)

SESSION_TOKEN = "sessie"
BAD_LOGIN = "Onbekende gebruikersnaam of onjuist wachtwoord."


def service():
    return current_app.extensions["vht_service"]


def lifetime() -> Lifetime:
    settings = current_app.extensions["vht_settings"]
    return Lifetime(idle=timedelta(minutes=settings.session_idle_minutes),
                    maximum=timedelta(hours=settings.session_max_hours))


def current_user():
    """The logged-in user (persistence.models.User) or None; checked once per request."""
    if "user" not in g:
        token = session.get(SESSION_TOKEN)
        user = service().web_session_user(token, lifetime()) if token else None
        if token and user is None:  # logged out, expired, password changed or deactivated
            session.pop(SESSION_TOKEN, None)
        g.user = user
    return g.user


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("auth.login", volgende=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (no scheme, no host, no //evil.example)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    volgende = safe_next(request.values.get("volgende"), url_for("inbox.inbox"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(volgende)
        return render_template("login.html", volgende=volgende, username="")
    username = request.form.get("gebruikersnaam", "").strip()
    password = request.form.get("wachtwoord", "")
    # request.remote_addr: behind TRUSTED_PROXIES the real client (ProxyFix), else the socket's.
    client = request.remote_addr or "onbekend"
    try:
        user = service().authenticate(username, password, client) if username else None
    except TooManyAttempts as exc:
        return render_template("login.html", volgende=volgende, username=username, fout=exc.message), 429
    if user is None:
        return render_template("login.html", volgende=volgende, username=username, fout=BAD_LOGIN), 401
    if session.get(SESSION_TOKEN):  # someone else's session in this browser ends here
        service().close_web_session(session[SESSION_TOKEN])
    session.clear()  # a fresh session (and CSRF token) for the new user
    session.permanent = True
    session[SESSION_TOKEN] = service().open_web_session(user.username, client, lifetime())
    new_csrf_token()
    flash(f"Welkom, {user.naam}.", "info")
    return redirect(volgende)


@bp.route("/uitloggen", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        if current_user() is None:
            return redirect(url_for("auth.login"))
        return render_template("logout.html")
    if session.get(SESSION_TOKEN):
        service().close_web_session(session[SESSION_TOKEN])
    session.clear()
    g.pop("user", None)
    flash("U bent uitgelogd.", "info")
    return redirect(url_for("auth.login"))
