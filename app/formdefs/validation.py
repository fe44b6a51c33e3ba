"""Submitted data checked against a form, with marshmallow, in Dutch.

Only declared fields get through (task data is the namespace the gateways read), values get
their declared type, and a field hidden by `show_if` may not be sent. Dates and datetimes are
stored as ISO text so the case data stays plain JSON.
"""
from __future__ import annotations

import math
from datetime import date, datetime

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate as mm_validate

from app import inputs
from app.engine.clock import TZ
from app.mail import InvalidAddress, check_address

from . import case_rules, people
from .definition import FormDefinition, FormField

MESSAGES = {
    "required": "Dit veld is verplicht.",
    "null": "Dit veld mag niet leeg zijn.",
}
# An empty required field says what to do, by the kind of field.
REQUIRED = {
    "choice": "Maak een keuze.",
    "yes_no": "Kies ja of nee.",
    "multiple_choice": "Kies er minstens één.",
    people.USER: "Kies een persoon.",
    "date": "Vul een datum in.",
    "datetime": "Vul een datum en tijd in.",
    "list": "Vul minstens één rij in.",
}
UNKNOWN = "Onbekend veld: dit formulier kent dit veld niet."
# Deadlines are counted from dates (working days, ages): far outside this range they overflow the
# calendar, and no case has a date there.
FIRST_YEAR, LAST_YEAR = 1900, 2199
OUT_OF_RANGE = f"Vul een datum tussen {FIRST_YEAR} en {LAST_YEAR} in."
HIDDEN = "Dit veld hoort niet bij uw antwoorden: het wordt alleen gevraagd als '{label}' {condition}."


class FormValidationError(ValueError):
    """Per-field Dutch messages: {"veld": ["bericht"], "lijst": {0: {"veld": [...]}}}."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {_flatten(v)}" for k, v in errors.items()))


def _flatten(value) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    return str(value)


class _Text(fields.String):
    def __init__(self, max_length: int, text_format: str | None = None, **kwargs):
        super().__init__(validate=mm_validate.Length(max=max_length, error="Maximaal {max} tekens."), **kwargs)
        self.error_messages["invalid"] = "Vul tekst in."
        self.text_format = text_format

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        # An address the worker will mail to: refused here, where the person can still correct it.
        if self.text_format == "email" or (self.text_format == "telefoon_of_email" and "@" in text):
            try:
                return check_address(text)
            except InvalidAddress as exc:
                raise ValidationError(str(exc)) from None
        return text


def _in_range(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


class _Date(fields.Date):
    default_error_messages = {"invalid": "Vul een geldige datum in (JJJJ-MM-DD).", "range": OUT_OF_RANGE}

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not _in_range(day):
            raise self.make_error("range")
        return day.isoformat()


class _DateTime(fields.Field):
    """`YYYY-MM-DDTHH:MM` as typed in a form (local time), or a full ISO datetime with offset."""

    default_error_messages = {"invalid": "Vul een geldige datum en tijd in (JJJJ-MM-DDTUU:MM).",
                              "range": OUT_OF_RANGE}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise self.make_error("invalid") from None
        if not _in_range(moment):  # before converting: 0001-01-01T00:00+05:00 has no local time
            raise self.make_error("range")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=TZ)
        return moment.astimezone(TZ).isoformat(timespec="minutes")


class _Number(fields.Float):
    default_error_messages = {"invalid": "Vul een getal in.", "special": "Vul een gewoon getal in."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        if math.isnan(number) or math.isinf(number):
            raise self.make_error("special")
        return int(number) if number.is_integer() else number


class _YesNo(fields.Boolean):
    truthy = {True, "ja", "Ja", "true", "1", 1}
    falsy = {False, "nee", "Nee", "false", "0", 0}
    default_error_messages = {"invalid": "Kies ja of nee."}


def _field(spec: FormField) -> fields.Field:
    common = {"required": False, "allow_none": False, "error_messages": dict(MESSAGES)}
    if spec.type == "text":
        return _Text(500, spec.format, **common)
    if spec.type == "long_text":
        return _Text(20_000, **common)
    if spec.type == "date":
        return _Date(**common)
    if spec.type == "datetime":
        return _DateTime(**common)
    if spec.type == "number":
        return _Number(
            validate=mm_validate.Range(min=spec.min, max=spec.max, error="Vul een getal tussen {min} en {max} in."),
            **common,
        )
    if spec.type == "yes_no":
        return _YesNo(**common)
    if spec.type == "choice":
        allowed = spec.option_values
        return fields.String(
            validate=mm_validate.OneOf(allowed, error="Kies een van de opties."),
            **{**common, "error_messages": {**MESSAGES, "invalid": "Kies een van de opties."}},
        )
    if spec.type == "multiple_choice":
        allowed = spec.option_values
        inner = fields.String(validate=mm_validate.OneOf(allowed, error="Kies uit de opties."))
        return fields.List(
            inner, validate=_count(spec), **{**common, "error_messages": {**MESSAGES, "invalid": "Verwacht een lijst."}}
        )
    if spec.type == people.USER:  # which users may be chosen is checked with the case (people.check)
        if not spec.multiple:
            return fields.String(**{**common, "error_messages": {**MESSAGES, "invalid": "Kies een persoon."}})
        return fields.List(fields.String(error_messages={"invalid": "Kies een persoon."}), validate=_count(spec),
                           **{**common, "error_messages": {**MESSAGES, "invalid": "Verwacht een lijst."}})
    if spec.type == "list":
        return fields.List(
            fields.Nested(_schema_class(spec.item_fields), unknown=RAISE),
            validate=_count(spec),
            **{**common, "error_messages": {**MESSAGES, "invalid": "Verwacht een lijst."}},
        )
    raise AssertionError(spec.type)


MAX_ITEMS = 200  # rows of a list without its own max_items


def _count(spec: FormField):
    most = spec.max_items if spec.max_items is not None else MAX_ITEMS
    rows = spec.type == "list"
    at_most = mm_validate.Length(max=most, error=("Vul hoogstens {max} rijen in." if rows else "Kies er hoogstens {max}."))
    if not spec.min_items:
        return at_most
    if spec.min_items == 1:
        fewest = "Vul minstens één rij in." if rows else "Kies er minstens één."
    else:
        fewest = "Vul minstens {min} rijen in." if rows else "Kies er minstens {min}."
    return [mm_validate.Length(min=spec.min_items, error=fewest), at_most]


def visible(spec: FormField, data: dict) -> bool:
    """Is the field shown: its `show_if` condition on another field holds (or it has none)."""
    cond = spec.show_if
    if not cond:
        return True
    value = data.get(cond["field"])
    if "equals" in cond:
        return value == cond["equals"]
    if "in" in cond:
        return value in cond["in"]
    return isinstance(value, list) and cond["contains"] in value


def _schema_class(specs: tuple[FormField, ...]) -> type[Schema]:
    attrs = {spec.name: _field(spec) for spec in specs}

    class Meta:
        unknown = RAISE

    attrs["Meta"] = Meta
    schema_cls = type("FormSchema", (Schema,), attrs)
    schema_cls._vht_fields = specs
    return schema_cls


_schemas: dict[int, tuple[FormDefinition, Schema]] = {}


def schema_for(definition: FormDefinition) -> Schema:
    """Built once per loaded definition (definitions live as long as their registry)."""
    cached = _schemas.get(id(definition))
    if cached is None or cached[0] is not definition:
        cached = _schemas[id(definition)] = (definition, _schema_class(definition.fields)())
    return cached[1]


def _check_required_and_visibility(specs: tuple[FormField, ...], raw: dict, loaded: dict, errors: dict,
                                   settings: dict | None = None) -> None:
    by_name = {s.name: s for s in specs}
    for spec in specs:
        if spec.name in errors:
            continue
        # For lists an explicit [] is an answer ("none of these"); `min_items` asks for at least one.
        empty = (None, "") if spec.type in ("multiple_choice", "list") else (None, "", [])
        present = spec.name in raw and raw[spec.name] not in empty
        if spec.requires_setting and (settings or {}).get(spec.requires_setting) is not True:
            # A field only a regional choice opens (e.g. an exception to the procedure): off, it is
            # not there at all (without a case to ask, every such choice counts as off: the default).
            if present:
                errors[spec.name] = [case_rules.setting_off_message(spec.requires_setting)]
            loaded.pop(spec.name, None)
        elif not visible(spec, loaded):
            if present:
                target = by_name[spec.show_if["field"]]
                named = dict(target.options or ())  # the options' labels, not their ids

                def said(value):
                    return f"'{named.get(value, 'ja' if value is True else 'nee' if value is False else value)}'"
                condition = (f"{said(spec.show_if['equals'])} is" if "equals" in spec.show_if
                             else "een van " + ", ".join(said(v) for v in spec.show_if["in"]) + " is"
                             if "in" in spec.show_if else f"{said(spec.show_if['contains'])} bevat")
                errors[spec.name] = [HIDDEN.format(label=target.label, condition=condition)]
            loaded.pop(spec.name, None)
        elif spec.required and not present:
            errors[spec.name] = [REQUIRED.get(spec.type, MESSAGES["required"])]
        elif spec.type == "list" and spec.name in loaded:
            for index, (item_raw, item) in enumerate(zip(raw.get(spec.name) or [], loaded[spec.name])):
                item_errors: dict = {}
                _check_required_and_visibility(spec.item_fields, item_raw, item, item_errors)
                if item_errors:
                    errors.setdefault(spec.name, {})[index] = item_errors


def _translate(messages):
    """marshmallow's own English messages for unknown fields, in Dutch."""
    if isinstance(messages, dict):
        return {k: _translate(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [UNKNOWN if m == "Unknown field." else _translate(m) for m in messages]
    return messages


def _drop_blanks(value):
    """Empty or spaces-only text means "not filled in", at any depth (browser forms send "")."""
    if isinstance(value, dict):
        return {k: _drop_blanks(v) for k, v in value.items()
                if v is not None and not (isinstance(v, str) and not v.strip())}
    if isinstance(value, list):
        return [_drop_blanks(v) for v in value]
    return value


def validate(definition: FormDefinition, data, context: case_rules.FormContext | None = None) -> dict:
    """The cleaned data; with a context also the rules that read the case (case_rules.py)."""
    if not isinstance(data, dict):
        raise FormValidationError({"_schema": ["Verwacht een object met velden."]})
    text = inputs.problems(data)  # before anything reads the values (or echoes a bad key)
    if text:
        raise FormValidationError(text)
    raw = _drop_blanks(data)
    errors: dict = {}
    try:
        loaded = schema_for(definition).load(raw)
    except ValidationError as exc:
        errors = _translate(exc.messages)
        loaded = {k: v for k, v in (exc.valid_data or {}).items()}
    _check_required_and_visibility(definition.fields, raw, loaded, errors,
                                   dict(context.settings) if context is not None else None)
    if context is not None:
        case_rules.check(definition.fields, loaded, context, errors)
    people.check(definition.fields, loaded, context.people if context is not None else None, errors)
    if errors:
        raise FormValidationError(errors)
    return loaded


__all__ = ["FormValidationError", "validate", "schema_for", "EXCLUDE"]
