"""What the form templates need besides the definition: values as the controls show them, the
validation messages per field and per row, and the empty rows of a repeated group."""
from __future__ import annotations

import json

from app.formdefs import FormDefinition, FormField

from .formdata import NO, YES

EMPTY_ROWS_WITHOUT_DATA = 3  # without JavaScript these are the rows one can fill in
RADIO_MAX_OPTIONS = 4


def _messages(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    if isinstance(value, dict):
        return [m for item in value.values() for m in _messages(item)]
    return [str(value)]


def field_messages(errors: dict | None, spec: FormField) -> list[str]:
    """Messages about the field as a whole (for a list: not those of its rows)."""
    value = (errors or {}).get(spec.name)
    if value is None:
        return []
    if spec.type == "list" and isinstance(value, dict):
        return [m for key, item in value.items() if not _is_row(key) for m in _messages(item)]
    return _messages(value)


def _is_row(key) -> bool:
    return isinstance(key, int) or (isinstance(key, str) and key.isdigit())


def _row_errors(errors: dict | None, spec: FormField, index: int) -> dict:
    value = (errors or {}).get(spec.name)
    if not isinstance(value, dict):
        return {}
    row = value.get(index, value.get(str(index)))
    return row if isinstance(row, dict) else ({"_schema": row} if row else {})


def row_messages(errors: dict | None, spec: FormField, index: int, item: FormField) -> list[str]:
    return _messages(_row_errors(errors, spec, index).get(item.name, []))


def row_other_messages(errors: dict | None, spec: FormField, index: int) -> list[str]:
    known = {f.name for f in spec.item_fields}
    return [m for key, value in _row_errors(errors, spec, index).items() if key not in known
            for m in _messages(value)]


def other_messages(errors: dict | None, definition: FormDefinition) -> list[str]:
    """Messages not about a field of the form (e.g. an unknown field), shown above it."""
    names = {f.name for f in definition.fields}
    return [m for key, value in (errors or {}).items() if key not in names for m in _messages(value)]


def error_links(definition: FormDefinition | None, errors: dict | None) -> list[tuple[str | None, str, str]]:
    """The lines of a refused form's error summary, in the form's order: (id of the control the
    line leads to, or None when it is about no field; the field's label; the message)."""
    if not errors:
        return []
    lines = []
    for spec in definition.fields if definition else []:
        if spec.type == "list":
            first = spec.item_fields[0].name if spec.item_fields else None
            lines += [(f"f-{spec.name}-0-{first}" if first else None, spec.label, m)
                      for m in field_messages(errors, spec)]
            value = errors.get(spec.name)
            for key in sorted((k for k in value if _is_row(k)), key=int) if isinstance(value, dict) else []:
                index, where = int(key), f"{spec.label}, rij {int(key) + 1}"
                lines += [(f"f-{spec.name}-{index}-{item.name}", f"{where}: {item.label}", m)
                          for item in spec.item_fields for m in row_messages(errors, spec, index, item)]
                lines += [(f"f-{spec.name}-{index}-{first}" if first else None, where, m)
                          for m in row_other_messages(errors, spec, index)]
        else:
            lines += [(f"f-{spec.name}", spec.label, m) for m in field_messages(errors, spec)]
    return lines + [(None, "", m) for m in (other_messages(errors, definition) if definition else _messages(errors))]


def named_error_links(errors: dict | None, labels: dict[str, str]) -> list[tuple[str | None, str, str]]:
    """As error_links, for a form of the page itself whose controls have the field's name as id."""
    return [(name if name in labels else None, labels.get(name, ""), m)
            for name, value in (errors or {}).items() for m in _messages(value)]


def rows_of(values: dict | None, spec: FormField) -> list[dict]:
    """The filled-in rows followed by empty ones: [(index, row dict)]."""
    rows = (values or {}).get(spec.name)
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    empty = EMPTY_ROWS_WITHOUT_DATA if not rows else 1
    return list(enumerate(rows + [{}] * empty))


def control_value(spec: FormField, value) -> str:
    """A stored or typed value as the HTML control wants it."""
    if value is None:
        return ""
    if spec.type == "yes_no":
        return YES if value is True else NO if value is False else str(value)
    if spec.type == "datetime" and isinstance(value, str) and len(value) >= 16 and value[10] == "T":
        return value[:16]  # 2026-03-12T10:00+01:00 -> what datetime-local shows
    return str(value)


def is_checked(spec: FormField, value, option: str) -> bool:
    if spec.type == "multiple_choice":
        return isinstance(value, list) and option in value
    return control_value(spec, value) == option


def is_grouped(spec: FormField) -> bool:
    """Shown as a group of radio buttons or checkboxes (a fieldset with a legend)."""
    return spec.type in ("yes_no", "multiple_choice") or (spec.type == "choice" and len(spec.options) <= RADIO_MAX_OPTIONS)


def show_if_attrs(spec: FormField) -> dict:
    cond = spec.show_if
    if not cond:
        return {}
    attrs = {"data-show-if-field": cond["field"]}
    if "equals" in cond:
        attrs["data-show-if-equals"] = json.dumps(cond["equals"])
    elif "in" in cond:
        attrs["data-show-if-in"] = json.dumps(cond["in"])
    else:
        attrs["data-show-if-contains"] = json.dumps(cond["contains"])
    return attrs


def register(app) -> None:
    app.jinja_env.globals.update(
        field_messages=field_messages, row_messages=row_messages, row_other_messages=row_other_messages,
        other_messages=other_messages, error_links=error_links, named_error_links=named_error_links,
        rows_of=rows_of, control_value=control_value, is_checked=is_checked,
        show_if_attrs=show_if_attrs, is_grouped=is_grouped, RADIO_MAX_OPTIONS=RADIO_MAX_OPTIONS, YES=YES, NO=NO,
    )
