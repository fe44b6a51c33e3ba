"""Logging in and out, the logged-in user, and `login_required` for every page."""
from __future__ import annotations

import functools
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from app.service.accounts import TooManyAttempts
from app.service.errors import NotFound

from .blueprint import page_blueprint
from .security import new_csrf_token

bp = page_blueprint("auth", __name__)

SESSION_USER = "gebruiker"
BAD_LOGIN = "Onbekende gebruikersnaam of onjuist wachtwoord."
SESSION_LIFETIME = timedelta(hours=8)


def service():
    return current_app.extensions["vht_service"]


def current_user():
    """The logged-in user (persistence.models.User) or None; loaded once per request."""
    if "user" not in g:
        username = session.get(SESSION_USER)
        user = None
        if username:
            try:
                user = service().user(username)
            except NotFound:  # deactivated or removed since: the session no longer counts
                session.pop(SESSION_USER, None)
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
    try:
        user = service().authenticate(username, password, request.remote_addr or "onbekend") if username else None
    except TooManyAttempts as exc:
        return render_template("login.html", volgende=volgende, username=username, fout=exc.message), 429
    if user is None:
        return render_template("login.html", volgende=volgende, username=username, fout=BAD_LOGIN), 401
    session.clear()  # a fresh session (and CSRF token) for the new user
    session.permanent = True
    session[SESSION_USER] = user.username
    new_csrf_token()
    flash(f"Welkom, {user.naam}.", "info")
    return redirect(volgende)


@bp.route("/uitloggen", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        if current_user() is None:
            return redirect(url_for("auth.login"))
        return render_template("logout.html")
    session.clear()
    g.pop("user", None)
    flash("U bent uitgelogd.", "info")
    return redirect(url_for("auth.login"))
