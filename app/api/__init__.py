"""The JSON API under /api/ for programs: token auth, cases, tasks, OpenAPI 3 at /api/openapi.json
and a browsable page at /api/docs. All work goes through the service layer, like the pages."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from . import auth, cases, docs, errors, messages, tasks
from .schemas import ErrorSchema

DESCRIPTION = """De werkwijze van het VeiligheidsTeam voor programma's: dezelfde casussen, taken en
toegangsregels als in de browser.

**Aanmelden:** `Authorization: Bearer <token>`; een token krijgt u met `vht token GEBRUIKER`.

**Fouten** zijn altijd JSON: `{"code": ..., "bericht": ..., "velden": {...}}`. 401 niet aangemeld,
403 niet toegestaan (bijv. een auditor die iets wil wijzigen), 404 bestaat niet of niet voor u,
409 al afgerond of net door iemand anders gewijzigd, 422 ongeldige invoer met per veld een melding."""


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema
    # No catch-all "default" answer in the document: each operation lists the codes it can give.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """flask-smorest would answer every HTTP error of the whole app in JSON; the pages keep their
        own, and the API's blueprints have theirs (errors.attach)."""


def register(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "VeiligheidsTeam werkwijze API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = _Api(app, spec_kwargs={
        "info": {"description": DESCRIPTION},
        "security": [{auth.SCHEME_NAME: []}],
    })
    api.spec.components.security_scheme(auth.SCHEME_NAME, auth.SECURITY_SCHEME)
    for blp in (cases.blp, messages.blp, tasks.blp):
        api.register_blueprint(blp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(errors.fallback)
    app.extensions["vht_api"] = api
