"""flask-smorest's Blueprint as every API route needs it: a token (auth.require_token), errors in
the API's JSON shape (errors.attach), responses that no cache keeps, and request parsing where
malformed JSON, a body that is not JSON and unknown query parameters answer 422 in that shape
(webargs alone says 400 in English, and ignores unknown query parameters). Text that the product
refuses everywhere (app/inputs.py) answers 422 too, in a query string or anywhere in a body; an
OPTIONS request is not answered (405), as the document does not list it."""
from __future__ import annotations

import flask_smorest
from flask import request
from webargs import core
from webargs.flaskparser import FlaskParser

from app import inputs

from .auth import require_token
from .errors import ApiError, attach
from .schemas import ErrorSchema


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422
    # An unknown query parameter (a typo such as ?procedue=) is an error too, as in the bodies:
    # the schemas' own `unknown = RAISE` decides.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def _raw_load_json(self, req):
        if not req.get_data(cache=True):
            return core.missing
        if not core.is_json(req.mimetype):
            raise ApiError(422, "ongeldige_invoer", "Stuur de inhoud als JSON (Content-Type: application/json).",
                           {"_schema": ["Verwacht een JSON-object."]})
        try:
            body = core.parse_json(req.get_data(cache=True))
        except RecursionError:
            raise ApiError(422, "ongeldige_invoer", "De inhoud is te diep genest.",
                           {"_schema": [inputs.DEEP.format(max=inputs.MAX_DEPTH)]}) from None
        found = inputs.problems(body)
        if found:
            raise ApiError(422, "ongeldige_invoer", "De inhoud bevat tekens die niet zijn toegestaan.", found)
        return body

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        if isinstance(error, UnicodeDecodeError):
            detail = "geen UTF-8"
        else:
            detail = f"{error.msg} (positie {error.pos})"
        raise ApiError(422, "ongeldige_invoer", "De inhoud is geen geldige JSON.",
                       {"_schema": [f"Geen geldige JSON: {detail}."]})


def check_query() -> None:
    """before_request: a query string with bytes that are not UTF-8, NUL or control characters
    (in any parameter, also one the operation does not read) is refused."""
    found = inputs.encoding_problems(request.query_string) or inputs.pairs_problems(request.args.items(multi=True))
    if found:
        raise ApiError(422, "ongeldige_invoer", "De zoekparameters bevatten tekens die niet zijn toegestaan.", found)


ERRORS = {
    401: "Geen of een ongeldig token",
    403: "Niet toegestaan voor u",
    404: "Bestaat niet, of niet zichtbaar voor u",
    409: "Conflict: al afgerond, vervallen, door iemand anders genomen, of de casus is net gewijzigd",
    422: "Ongeldige invoer: per veld een melding in `velden`",
    428: "Reden van inzage ontbreekt (code `reden_inzage_vereist`): wie niet bij de casus betrokken is (een auditor) "
         "geeft de header X-Reden-Inzage mee",
}


def _private(response):
    """Answers hold personal data of families: no cache keeps them; JSON is never sniffed as HTML."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.record_once(inputs.use_id_converter)  # before its routes: ids beyond the database's are 404
        self.before_request(require_token)
        self.before_request(check_query)
        self.after_request(_private)
        attach(self)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        # Flask would answer OPTIONS itself (200, undocumented); errors.fallback says 405 with Allow.
        # (flask-smorest does not pass the argument on; Flask reads it from the view too.)
        view_func.provide_automatic_options = False
        super().add_url_rule(rule, endpoint, view_func, **options)

    def errors(self, *codes: int, **descriptions: str):
        """Document the error answers of an operation: 401 and 422 always (every operation needs a
        token, and refuses a query string with forbidden text). descriptions: {"e403": "..."}
        overrides the general text for that status."""
        def decorate(func):
            for code in sorted({401, 422, *codes}, reverse=True):
                description = descriptions.get(f"e{code}", ERRORS[code])
                func = self.alt_response(code, schema=ErrorSchema, description=description)(func)
            return func
        return decorate
