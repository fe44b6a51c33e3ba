"""Every API error as JSON of one shape: {"code": ..., "bericht": ..., "velden": {...}}.

The service layer's errors keep their code and Dutch message; the HTTP status follows from the
code. Request bodies and query strings that do not fit the API's schemas (webargs/marshmallow)
answer 422 with a Dutch message per field, like the forms do. Only requests under /api/ get these
handlers: the pages keep their own error pages.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from app.service import ServiceError

# The status of each service error code (app/service/errors.py, accounts.TooManyAttempts).
STATUS_BY_CODE = {
    "niet_gevonden": 404,
    "geen_toegang": 403,
    "conflict": 409,
    "ongeldige_invoer": 422,
    "proces_fout": 422,
    "casus_probleem": 422,
    "te_veel_pogingen": 429,
}

# HTTP errors that do not come from the service, in Dutch.
HTTP_ERRORS = {
    400: ("ongeldig_verzoek", "Het verzoek is niet juist opgebouwd."),
    401: ("niet_aangemeld", "U bent niet aangemeld."),
    403: ("geen_toegang", "U heeft hier geen toegang toe."),
    404: ("niet_gevonden", "Deze URL bestaat niet in de API. Zie /api/docs."),
    405: ("methode_niet_toegestaan", "Deze methode is hier niet toegestaan."),
    413: ("te_groot", "Het verzoek is te groot."),
    415: ("verkeerd_formaat", "Stuur JSON (Content-Type: application/json)."),
    429: ("te_veel_pogingen", "Te veel verzoeken. Probeer het later opnieuw."),
    500: ("interne_fout", "Er ging iets mis op de server. Het is gelogd; probeer het later opnieuw."),
}

# marshmallow's and webargs' own English messages, in Dutch. Validators in schemas.py carry their
# own Dutch message; what is not listed here is passed on as it is.
DUTCH = {
    "Missing data for required field.": "Dit veld is verplicht.",
    "Field may not be null.": "Dit veld mag niet leeg zijn.",
    "Unknown field.": "Onbekend veld: de API kent dit veld hier niet.",
    "Invalid input type.": "Verwacht een JSON-object.",
    "Invalid value.": "Ongeldige waarde.",
    "Not a valid string.": "Vul tekst in.",
    "Not a valid integer.": "Vul een geheel getal in.",
    "Not a valid number.": "Vul een getal in.",
    "Not a valid boolean.": "Kies true of false.",
    "Not a valid mapping type.": "Verwacht een JSON-object.",
    "Not a valid list.": "Verwacht een lijst.",
    "Not a valid date.": "Vul een geldige datum in (JJJJ-MM-DD).",
    "Not a valid datetime.": "Vul een geldige datum en tijd in.",
    "Invalid JSON body.": "De inhoud is geen geldige JSON.",
}


class ApiError(Exception):
    """An error the API itself raises (authentication, malformed bodies)."""

    def __init__(self, status: int, code: str, bericht: str, velden: dict | None = None,
                 headers: dict | None = None):
        super().__init__(bericht)
        self.status, self.code, self.bericht = status, code, bericht
        self.velden = velden or {}
        self.headers = headers or {}


def error_response(status: int, code: str, bericht: str, velden: dict | None = None, headers=None):
    response = jsonify(code=code, bericht=bericht, velden=velden or {})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def dutch(messages):
    if isinstance(messages, dict):
        return {str(k): dutch(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [dutch(m) for m in messages]
    return DUTCH.get(messages, messages) if isinstance(messages, str) else messages


def _validation_fields(messages: dict) -> dict:
    """webargs' {"json": {...}, "query": {...}} as one dict of fields, in Dutch."""
    fields: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update(location_messages)
        else:
            fields.setdefault("_schema", []).extend(location_messages)
    return dutch(fields)


def handle_service_error(exc: ServiceError):
    status = STATUS_BY_CODE.get(exc.code, 400)
    velden = dutch(exc.details.get("velden") or {})
    if exc.details.get("incident") is not None:  # casus_probleem: which incident the beheerder got
        response = jsonify(code=exc.code, bericht=exc.message, velden=velden, incident=exc.details["incident"])
        response.status_code = status
        return response
    return error_response(status, exc.code, exc.message, velden)


def handle_api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.bericht, exc.velden, exc.headers)


def handle_http_exception(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    if "messages" in data:  # webargs: the body or query string does not fit the schema
        return error_response(422, "ongeldige_invoer", "De invoer is niet juist.", _validation_fields(data["messages"]))
    code, bericht = HTTP_ERRORS.get(exc.code or 500, (f"http_{exc.code}", exc.name))
    headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    return error_response(exc.code or 500, code, bericht, headers=headers)


def handle_unexpected(exc: Exception):
    current_app.logger.exception("API: onverwachte fout bij %s %s", request.method, request.path)
    code, bericht = HTTP_ERRORS[500]
    return error_response(500, code, bericht)


def attach(bp: Blueprint) -> None:
    """JSON error handlers for the requests one API blueprint serves."""
    bp.register_error_handler(ServiceError, handle_service_error)
    bp.register_error_handler(ApiError, handle_api_error)
    bp.register_error_handler(HTTPException, handle_http_exception)
    bp.register_error_handler(Exception, handle_unexpected)


# Anything else under /api/ answers in JSON too: 404 for an unknown URL, 405 with Allow for a known
# URL and a method it does not take. (Routing errors never reach a blueprint's handlers, so they are
# caught by this catch-all rule; werkzeug prefers every more specific rule over it.)
fallback = Blueprint("api_fallback", __name__)
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@fallback.route("/api/", methods=_METHODS)
@fallback.route("/api/<path:rest>", methods=_METHODS)
def unknown(rest: str = ""):
    adapter = current_app.url_map.bind("localhost")
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "api_fallback.unknown":
            allowed.append(method)
    if allowed:
        code, bericht = HTTP_ERRORS[405]
        return error_response(405, code, bericht, headers={"Allow": ", ".join(allowed)})
    code, bericht = HTTP_ERRORS[404]
    return error_response(404, code, bericht)


attach(fallback)
