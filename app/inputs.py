"""What text the product accepts from outside, for every entry point (forms, API, CLI, query strings).

Refused: unpaired surrogates (Python's json accepts "\\ud800", and such a string cannot be written
as UTF-8, so every page showing it would fail), NUL (PostgreSQL cannot store it) and the other
control characters except tab, newline and carriage return; bytes that are not UTF-8 in a query
string or form; and JSON nested deeper than any form needs. Pure functions: the web and API
layers turn their answers into a 422 in their own shape.
"""
from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from werkzeug.routing import IntegerConverter

TEXT = ("Deze tekst bevat een teken dat niet is toegestaan (een stuurteken zoals NUL, of ongeldige "
        "Unicode). Typ de tekst opnieuw of plak hem zonder opmaak.")
NAME = "Een veldnaam bevat een teken dat niet is toegestaan."
ENCODING = "Dit is geen geldige UTF-8-tekst."
DEEP = "De gegevens zijn te diep genest (hoogstens {max} niveaus)."

# Cc except \t \n \r (C0, DEL, C1), and the surrogate range.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A form's list of rows of fields is 3 levels; the API's start body adds one (data) and room to spare.
MAX_DEPTH = 12
# Ids are PostgreSQL `integer` columns: a larger number in a URL names nothing.
MAX_ID = 2**31 - 1


def _at_most(limit: int) -> str:
    """A regex for the decimal numbers 0..limit: shorter ones, then per digit of `limit` a smaller
    digit there with anything after it, then `limit` itself."""
    digits = str(limit)
    alternatives = [f"[0-9]{{1,{len(digits) - 1}}}"]
    for i, digit in enumerate(digits):
        if digit != "0":
            alternatives.append(f"{digits[:i]}[0-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    return "(?:" + "|".join([*alternatives, digits]) + ")"


class IdConverter(IntegerConverter):
    """`<int:...>` in every URL: at most MAX_ID, so a larger id is an unknown URL (404) instead of
    an overflow in the database; the OpenAPI document states the maximum. The limit is in the
    regex, not only in `max`: werkzeug answers a failed conversion with a bare 404, while a URL
    that matches no rule reaches the API's JSON catch-all (api/errors.py)."""

    regex = _at_most(MAX_ID)

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def use_id_converter(state) -> None:
    """A blueprint's record_once, recorded before its routes: they get IdConverter for `int`."""
    state.app.url_map.converters["int"] = IdConverter


def bad_text(text: str) -> bool:
    return _FORBIDDEN.search(text) is not None


def problems(value, depth: int = 0) -> dict:
    """The text problems in a JSON value, shaped like the API's `velden`: {"veld": [msg]}, nested
    per key and list index; problems of the value itself (a bare string, too deep, a bad key)
    under "_schema". Empty when all is well."""
    if depth > MAX_DEPTH:
        return {"_schema": [DEEP.format(max=MAX_DEPTH)]}
    if isinstance(value, str):
        return {"_schema": [TEXT]} if bad_text(value) else {}
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return {}
    found: dict = {}
    for key, item in items:
        if isinstance(key, str) and bad_text(key):
            found.setdefault("_schema", [NAME])
            continue
        inner = problems(item, depth + 1)
        if inner:
            found[str(key)] = inner.get("_schema") if list(inner) == ["_schema"] else inner
    return found


def pairs_problems(pairs) -> dict:
    """{name: [msg]} for (name, value) pairs of a query string or form, as decoded."""
    found: dict = {}
    for name, value in pairs:
        if bad_text(name):
            found.setdefault("_schema", [NAME])
        elif bad_text(value):
            found[name] = [TEXT]
    return found


def encoding_problems(raw: bytes) -> dict:
    """{name: [msg]} for the parameters of a raw `a=b&c=d` string whose bytes are not UTF-8 (the
    decoded values would silently hold U+FFFD instead)."""
    found: dict = {}
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        name, value = (unquote_to_bytes(x.replace(b"+", b" ")) for x in (name, value))
        try:
            name.decode("utf-8")
        except UnicodeDecodeError:
            found.setdefault("_schema", [ENCODING])
            continue
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            found[name.decode("utf-8")] = [ENCODING]
    return found
