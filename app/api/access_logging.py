"""The API records every read of a case's personal data as the pages do (NEN 7513): one decorator
per operation, under flask-smorest's (it sees the data before serialisation):

    @blp.response(200, CaseDetailSchema)
    @logs_access(case=lambda kw: kw["case_id"])

An auditor, who takes part in no case, names the reason of each read in the header
`X-Reden-Inzage` (a code of REASONS; with "anders" also `X-Reden-Toelichting`); without it the
answer is 428 with the codes in `velden`. A read that cannot be recorded is not answered (500).
"""
from __future__ import annotations

import functools
from typing import Callable

from flask import request

from app.service.access_log import REASONS, validate_reason
from app.service.errors import InvalidInput

from .auth import current_username, service
from .errors import ApiError

REASON_HEADER = "X-Reden-Inzage"
NOTE_HEADER = "X-Reden-Toelichting"
REASON_NEEDED = "reden_inzage_vereist"
HEADER_DOCS = [
    {"in": "header", "name": REASON_HEADER, "required": False, "schema": {"type": "string", "enum": list(REASONS)},
     "description": "Reden van inzage (NEN 7513), verplicht voor wie niet bij de casus betrokken is (een auditor): "
                    + "; ".join(f"`{code}` ({label})" for code, label in REASONS.items())
                    + ". Zonder deze header: 428 met code `reden_inzage_vereist`."},
    {"in": "header", "name": NOTE_HEADER, "required": False, "schema": {"type": "string", "maxLength": 500},
     "description": "Toelichting bij de reden; verplicht bij `anders`."},
]


def _given_reason(case_id: int) -> tuple[str | None, str | None]:
    """The reason in the headers when this reader must give one; ApiError when it is missing or wrong."""
    if not service().access_reason_needed(current_username(), case_id, None):
        return None, None
    code = request.headers.get(REASON_HEADER, "").strip()
    if not code:
        raise ApiError(428, REASON_NEEDED,
                       f"U bent niet betrokken bij casus {case_id}: geef de reden van inzage in de header "
                       f"{REASON_HEADER} (en bij 'anders' een toelichting in {NOTE_HEADER}).",
                       {REASON_HEADER: [f"Kies een van: {', '.join(REASONS)}."]})
    try:
        return validate_reason(code, request.headers.get(NOTE_HEADER))
    except InvalidInput as exc:
        velden = {REASON_HEADER if key == "doel" else NOTE_HEADER: value for key, value in (exc.errors or {}).items()}
        raise ApiError(422, "ongeldige_invoer", exc.message, velden) from None


def logs_access(*, case: Callable[[dict], int | None] | None = None, listed: Callable | None = None):
    """`case`: the operation's case from its URL (a reason is asked first); `listed`: the cases in
    what it answers."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            case_id = case(kwargs) if case else None
            doel, note = _given_reason(case_id) if case_id is not None else (None, None)
            result = view(*args, **kwargs)
            ids = [case_id] if case else list(listed(result))
            service().log_access(current_username(), ids, f"{request.method} {request.path}", request.remote_addr,
                                 None, doel, note)
            return result
        return wrapped
    return decorate
