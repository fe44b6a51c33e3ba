"""The web layer: parses HTTP and renders; all work goes through the service layer.

auth (login, logout, current user), security (CSRF, headers), blueprint (what every page
blueprint checks), inbox (werkbak), tasks (task page), cases (case list and page, new case,
messages), history (the case log in words), formdata/formview (forms in and out), errors,
labels (Dutch words), common (template context, names), admin (outgoing mail for the
beheerder), pages (/ and /healthz).
"""
from __future__ import annotations

from flask import Flask

from . import admin, auth, cases, common, errors, formview, inbox, labels, pages, security, tasks
from . import veiligheidskaart

PAGE_BLUEPRINTS = (auth.bp, inbox.bp, tasks.bp, cases.bp, admin.bp, pages.bp, veiligheidskaart.bp)


def register(app: Flask) -> None:
    settings = app.extensions.get("vht_settings")
    app.config.update(
        SESSION_COOKIE_NAME="vht_sessie",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(getattr(settings, "secure_cookies", False)),
        PERMANENT_SESSION_LIFETIME=auth.SESSION_LIFETIME,
    )
    for bp in PAGE_BLUEPRINTS:
        app.register_blueprint(bp)
    errors.register(app)
    app.after_request(security.add_headers)
    labels.register(app)
    formview.register(app)
    common.register(app)
