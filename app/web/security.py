"""CSRF tokens for every form the pages post, and the security headers on every response."""
from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

CSRF_FIELD = "csrf_token"
_SESSION_KEY = "_csrf"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Nothing inline: JavaScript and CSS live in static files, data comes as JSON. (The bpmn-js
# viewer styles its SVG through CSS classes and the DOM, which this policy allows.)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def csrf_token() -> str:
    """The session's token (made on first use); put it in every form as a hidden field."""
    token = session.get(_SESSION_KEY)
    if not token:
        token = session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def new_csrf_token() -> str:
    session.pop(_SESSION_KEY, None)
    return csrf_token()


def check_csrf() -> None:
    """before_request of the page blueprints: a post without the session's token is refused."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get(_SESSION_KEY)
    sent = request.form.get(CSRF_FIELD, "")
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500).
    if not expected or not sent or not hmac.compare_digest(str(expected).encode(), str(sent).encode()):
        abort(400, description="Het formulier is verlopen of niet vanaf deze site verstuurd. "
                               "Laad de pagina opnieuw en probeer het nog eens.")


def is_static_asset() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def add_headers(response):
    """after_request of the app. A blueprint that needs another policy (e.g. a documentation
    page) may set its own header first: ours are only defaults."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Pages, PDFs and API answers carry personal data: no browser or proxy keeps a copy (the
    # back button after logging out shows nothing). Only our own scripts, styles and fonts are cached.
    if not is_static_asset():
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
