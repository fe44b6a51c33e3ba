"""Token authentication for programs: `Authorization: Bearer <token>`.

Tokens come from `vht token USER` (service.issue_token); only their hash is stored. A request
without a valid token gets 401 with a WWW-Authenticate header (RFC 6750). The API takes no
session cookie, so it needs no CSRF token.
"""
from __future__ import annotations

from flask import current_app, g, request

from app.service import access

from .errors import ApiError

SCHEME_NAME = "bearerAuth"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "Een API-token van `vht token GEBRUIKER`, als `Authorization: Bearer <token>`. "
                   "U ziet en doet via de API wat u in de browser ziet en doet.",
}
REALM = 'Bearer realm="vht"'


def service():
    return current_app.extensions["vht_service"]


def require_token() -> None:
    """before_request of every protected API blueprint: sets g.api_user (the User)."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiError(401, "niet_aangemeld",
                       "Meld u aan met een API-token: Authorization: Bearer <token> (vht token GEBRUIKER).",
                       headers={"WWW-Authenticate": REALM})
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "niet_aangemeld", "Gebruik Authorization: Bearer <token>.",
                       headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'})
    user = service().user_for_token(token)
    if user is None:
        raise ApiError(401, "niet_aangemeld", "Dit token is onbekend of ingetrokken. Vraag een nieuw aan (vht token).",
                       headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    g.api_user = user


def current_username() -> str:
    return g.api_user.username


def require_may_act() -> None:
    """An auditor reads everything and changes nothing (403, with the reason)."""
    access.require_may_act(g.api_user)
