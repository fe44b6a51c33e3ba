"""The web layer: parses HTTP and renders; all work goes through the service layer.

auth (login, logout, current user), security (CSRF, headers), blueprint (what every page
blueprint checks), inbox (werkbak), tasks (task page), cases (case list and page, new case,
messages), history (the case log in words), formdata/formview (forms in and out), errors,
labels (Dutch words), common (template context, names), admin (outgoing mail for the
beheerder), pages (/ and /healthz).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import admin, auth, cases, common, errors, formview, inbox, labels, pages, security, tasks
from . import bundle_pages, modeler, veiligheidskaart
from . import audit_access, avg, caught_mail, migration, verification, versions
from . import eventlog
from . import insight

PAGE_BLUEPRINTS = (auth.bp, inbox.bp, tasks.bp, cases.bp, admin.bp, pages.bp, veiligheidskaart.bp, modeler.bp,
                   bundle_pages.bp, versions.bp, migration.bp, avg.bp, verification.bp, audit_access.bp,
                   caught_mail.bp, eventlog.bp, insight.bp)


def register(app: Flask) -> None:
    settings = app.extensions["vht_settings"]
    app.config.update(
        SESSION_COOKIE_NAME="vht_sessie",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # The browser may drop the cookie when the session ends anyway; the server decides (auth).
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
    )
    if settings.trusted_proxies:
        # Only then: otherwise anyone could pick their own address with X-Forwarded-For (and with
        # it a fresh login-limit counter). N proxies: the address the Nth one from us saw.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    for bp in PAGE_BLUEPRINTS:
        app.register_blueprint(bp)
    errors.register(app)
    app.after_request(security.add_headers)
    labels.register(app)
    formview.register(app)
    common.register(app)
