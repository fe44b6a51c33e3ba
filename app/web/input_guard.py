"""The pages' side of app/inputs.py: a query string or posted form with text the product refuses
answers 422 before anything reads it.

Forms that are shown again with a message per field (a task, a new case, a message from outside)
are checked field by field by their form's validation instead; those views are marked with
`checks_own_form`. Bytes that are not UTF-8 no browser sends: they get the 422 page everywhere.
"""
from __future__ import annotations

from flask import current_app, request

from app import inputs
from app.service.errors import InvalidInput

QUERY = "Het adres van deze pagina bevat tekens die niet zijn toegestaan ({velden}). Pas het adres aan."
FORM = ("Wat u verstuurde bevat een teken dat niet is toegestaan (een stuurteken zoals NUL, of ongeldige "
        "Unicode), in: {velden}. Ga terug, pas het aan en verstuur het opnieuw.")
_OWN = "_vht_checks_own_form"


def checks_own_form(view):
    setattr(view, _OWN, True)
    return view


def _names(found: dict) -> str:
    return ", ".join("veldnaam" if name == "_schema" else name for name in found)


def check_request() -> None:
    """before_request of every page blueprint."""
    found = inputs.encoding_problems(request.query_string) or inputs.pairs_problems(request.args.items(multi=True))
    if found:
        raise InvalidInput(QUERY.format(velden=_names(found)), found)
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.mimetype == "application/x-www-form-urlencoded":
        found = inputs.encoding_problems(request.get_data(cache=True))
    view = current_app.view_functions.get(request.endpoint)
    if not found and not getattr(view, _OWN, False):
        found = inputs.pairs_problems(request.form.items(multi=True))
    if found:
        raise InvalidInput(FORM.format(velden=_names(found)), found)
