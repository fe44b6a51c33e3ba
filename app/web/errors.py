"""Errors as Dutch pages: service errors on the pages' blueprints, HTTP errors app-wide (except
under /api/, whose blueprint answers in JSON itself)."""
from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from app.logs import request_id
from app.service.accounts import TooManyAttempts
from app.service.errors import (Conflict, InvalidInput, NotFound, PermissionDenied, ProcessFailed,
                                ServiceError)

STATUS = [(NotFound, 404), (PermissionDenied, 403), (Conflict, 409), (InvalidInput, 422),
          (TooManyAttempts, 429), (ProcessFailed, 500)]
TITLES = {
    400: "Verzoek niet goed", 403: "Geen toegang", 404: "Niet gevonden", 405: "Niet toegestaan",
    409: "Tegelijk gewijzigd", 413: "Te groot", 422: "Niet goed ingevuld", 429: "Te veel pogingen",
    500: "Er ging iets mis",
}
HTTP_MESSAGES = {
    400: "Dit verzoek kunnen we niet verwerken.",
    403: "U heeft hier geen toegang toe.",
    404: "Deze pagina bestaat niet, of u heeft er geen toegang toe.",
    405: "Deze actie kan hier niet.",
    413: "Wat u verstuurde is te groot.",
    500: "Er ging iets mis aan onze kant. Probeer het later nog eens.",
}


def status_of(exc: ServiceError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 400)


def error_page(status: int, message: str):
    # The foutcode is the request id of the log lines (app/logs.py), for the beheerder.
    return render_template("error.html", titel=TITLES.get(status, "Fout"), bericht=message,
                           foutcode=request_id() if status >= 500 else None), status


def service_error(exc: ServiceError):
    return error_page(status_of(exc), exc.message)


def http_error(exc: HTTPException):
    if request.path.startswith("/api/"):
        return exc
    status = exc.code or 500
    # Our own aborts carry a Dutch description; werkzeug's defaults are English.
    default = exc.description == type(exc).description
    message = HTTP_MESSAGES.get(status, "Er ging iets mis.") if default else exc.description
    return error_page(status, message)


def register(app) -> None:
    app.register_error_handler(HTTPException, http_error)
