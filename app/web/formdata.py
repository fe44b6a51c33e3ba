"""A posted HTML form as the JSON-ish dict the service validates.

- yes/no radios (`ja`/`nee`) become booleans; checkboxes of a multiple choice become a list
  (an empty list when none is ticked: "none of these" is an answer);
- a field left empty (or holding only spaces) is not sent;
- repeated groups arrive as `<list>-<row>-<field>` (e.g. `afspraken-0-wie`) and become a list of
  dicts in row order; rows left completely empty are dropped, and so are empty strings; every
  row is kept, so the validation refuses more rows than the form allows (nothing silently lost);
- fields hidden by `show_if` are dropped (the user changed their mind; the server validation still
  decides what is acceptable).
Text is kept as typed, so a form shown again with its errors shows exactly what was sent.
"""
from __future__ import annotations

import re

from app.formdefs import FormDefinition, FormField
from app.formdefs.validation import visible

YES, NO = "ja", "nee"
_ROW = re.compile(r"^(?P<list>[A-Za-z_][A-Za-z0-9_]*)-(?P<row>\d{1,4})-(?P<field>[A-Za-z_][A-Za-z0-9_]*)$")


def _yes_no(value: str):
    if value == YES:
        return True
    if value == NO:
        return False
    return value  # anything else is left for the validation to refuse


def _scalar(spec: FormField, form, key: str):
    if spec.type == "multiple_choice" or (spec.type == "user" and spec.multiple):
        return [v for v in form.getlist(key) if v.strip()]
    value = form.get(key, "")
    if not value.strip():  # only spaces is not filled in
        return None
    if spec.type == "yes_no":
        return _yes_no(value)
    return value


def _rows(spec: FormField, form) -> list[dict]:
    indices = set()
    for key in form.keys():
        match = _ROW.match(key)
        if match and match["list"] == spec.name:
            indices.add(int(match["row"]))
    rows = []
    for index in sorted(indices):
        row = {}
        for item in spec.item_fields:
            value = _scalar(item, form, f"{spec.name}-{index}-{item.name}")
            if value is not None and value != []:
                row[item.name] = value
        if row:
            rows.append(row)
    return rows


def form_to_data(definition: FormDefinition, form) -> dict:
    """`form` is a werkzeug MultiDict (request.form)."""
    data: dict = {}
    for spec in definition.fields:
        if spec.type == "list":
            data[spec.name] = _rows(spec, form)
            continue
        value = _scalar(spec, form, spec.name)
        if value is not None:
            data[spec.name] = value
    for spec in definition.fields:
        if not visible(spec, data):
            data.pop(spec.name, None)
    return data
