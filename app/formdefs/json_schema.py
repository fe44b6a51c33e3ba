"""A form as JSON Schema (draft 2020-12), for programs that use the API."""
from __future__ import annotations

from .definition import FormDefinition, FormField


def _field_schema(spec: FormField) -> dict:
    base: dict = {"title": spec.label}
    if spec.help:
        base["description"] = spec.help
    if spec.type in ("text", "long_text"):
        base.update(type="string", maxLength=500 if spec.type == "text" else 20_000)
        if spec.format == "email":
            base["format"] = "email"
    elif spec.type == "date":
        base.update(type="string", format="date")
    elif spec.type == "datetime":
        base.update(type="string", format="date-time",
                    description=(base.get("description", "") + " (JJJJ-MM-DDTUU:MM, Nederlandse tijd)").strip())
    elif spec.type == "number":
        base["type"] = "number"
        if spec.min is not None:
            base["minimum"] = spec.min
        if spec.max is not None:
            base["maximum"] = spec.max
    elif spec.type == "yes_no":
        base["type"] = "boolean"
    elif spec.type == "choice":
        base.update(type="string", enum=spec.option_values,
                    **{"x-labels": {value: label for value, label in spec.options}})
    elif spec.type == "multiple_choice":
        base.update(type="array", uniqueItems=True, items={"type": "string", "enum": spec.option_values},
                    **{"x-labels": {value: label for value, label in spec.options}})
    elif spec.type == "user":  # a people picker; its choices are filled in for the case (people.py)
        person = {"type": "string", "enum": spec.option_values, "x-rol": spec.role}
        base.update(**(dict(type="array", uniqueItems=True, items=person) if spec.multiple else person),
                    **{"x-labels": {value: label for value, label in spec.options}})
    elif spec.type == "list":
        base.update(type="array", items=_object_schema(spec.item_fields))
    if spec.type in ("multiple_choice", "list") or (spec.type == "user" and spec.multiple):
        if spec.min_items is not None:
            base["minItems"] = spec.min_items
        base["maxItems"] = spec.max_items if spec.max_items is not None else 200
    if spec.show_if:
        base["x-show-if"] = spec.show_if
    return base


def _object_schema(fields: tuple[FormField, ...]) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.name: _field_schema(f) for f in fields},
        # Fields shown only under a condition are required only then: see x-show-if.
        "required": [f.name for f in fields if f.required and not f.show_if],
    }


def to_json_schema(definition: FormDefinition) -> dict:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": definition.title,
              **_object_schema(definition.fields)}
    if definition.description:
        schema["description"] = definition.description
    return schema
