"""Submitted form values as a person reads them: the form's labels, dates as 12-05-2026, choices
by their label, people by name, lists as rows. Used by the read-only task page and the timeline."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from app.engine.clock import TZ
from app.formdefs import FormDefinition, FormField

EMPTY = "—"


@dataclass
class Value:
    field: str
    label: str
    text: str
    rows: list[list["Value"]] | None = None  # a list field: one list of values per row

    def table(self) -> tuple[list[str], list[list[str]]]:
        """A list field as a table: the column labels (of every row) and per row its texts."""
        columns: dict[str, str] = {}
        for row in self.rows or []:
            for value in row:
                columns.setdefault(value.field, value.label)
        cells = [[next((v.text for v in row if v.field == name), EMPTY) for name in columns]
                 for row in self.rows or []]
        return list(columns.values()), cells

    def as_dict(self) -> dict:
        result = {"field": self.field, "label": self.label, "text": self.text}
        if self.rows is not None:
            result["rows"] = [[v.as_dict() for v in row] for row in self.rows]
        return result


# Abbreviations in ids, written as people write them.
ABBREVIATIONS = {"vk": "VK", "rvdk": "RvdK", "ots": "OTS", "gi": "GI", "vht": "VHT", "avg": "AVG", "cab": "CAB"}


def words(code: str | None) -> str:
    """An id such as `datum_gesprek` as words (a field no form describes any more); 'vk_te_laat': 'VK te laat'."""
    parts = [ABBREVIATIONS.get(part, part) for part in (code or "").strip().split("_") if part]
    text = " ".join(parts)
    return text if parts and parts[0] in ABBREVIATIONS.values() else text[:1].upper() + text[1:]


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def day(value) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d-%m-%Y")
    except ValueError:
        return str(value)


def moment(value, seconds: bool = False) -> str:
    """A datetime (or its ISO text) in Dutch local time, e.g. 12-05-2026 10:00(:05)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(TZ)
    return value.strftime("%d-%m-%Y %H:%M:%S" if seconds else "%d-%m-%Y %H:%M")


def text_of(spec: FormField | None, value, names: dict[str, str]) -> str:
    """One value as text, by the kind of field it was entered in."""
    if is_empty(value):
        return EMPTY
    kind = spec.type if spec else None
    options = dict(spec.options) if spec else {}
    if isinstance(value, bool):
        return "Ja" if value else "Nee"
    if kind == "date":
        return day(value)
    if kind == "datetime":
        return moment(value)
    if kind == "user":
        people = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(p), str(p)) for p in people)
    if isinstance(value, list):
        return ", ".join(options.get(str(v), text_of(None, v, names)) for v in value)
    if kind == "choice":
        return options.get(str(value), str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _value(spec: FormField | None, name: str, value, names: dict[str, str]) -> Value:
    label = spec.label if spec else words(name)
    if (spec is None or spec.type == "list") and isinstance(value, list) and value and all(
            isinstance(r, dict) for r in value):
        items = {f.name: f for f in (spec.item_fields if spec else ())}
        rows = [[_value(items.get(k), k, row[k], names) for k in _order(items, row) if not is_empty(row[k])]
                for row in value]
        return Value(name, label, f"{len(rows)} {'rij' if len(rows) == 1 else 'rijen'}", rows)
    return Value(name, label, text_of(spec, value, names))


def _order(known: dict[str, FormField], values: dict) -> list[str]:
    """The form's order; without a form (or a row without fields) every value as it came. What
    the form does not describe was not entered by a person (e.g. the settings a start adds)."""
    if not known:
        return list(values)
    return [k for k in known if k in values]


def labelled(definition: FormDefinition | None, values: dict | None, names: dict[str, str], *,
             keep_empty: bool = False) -> list[Value]:
    """The values in the order of the form, labelled by it; `keep_empty`: also the fields left empty."""
    values = values or {}
    known = {f.name: f for f in (definition.fields if definition else ())}
    return [_value(known.get(k), k, values[k], names) for k in _order(known, values)
            if keep_empty or not is_empty(values[k])]


def field_of(forms, name: str) -> FormField | None:
    """The first definition of a field of this name in any form of a registry (for a correction)."""
    for key in forms.keys():
        found = forms.get(key).field(name)
        if found is not None:
            return found
    return None
