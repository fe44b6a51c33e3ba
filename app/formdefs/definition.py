"""A form as a process owner writes it (see forms/README.md), checked when it is loaded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import case_rules, people

FIELD_TYPES = {"text", "long_text", "date", "datetime", "number", "yes_no", "choice", "multiple_choice", "list",
               people.USER}
# What a one-line text must look like: a mail address, or a phone number or mail address.
TEXT_FORMATS = {"email", "telefoon_of_email"}


class FormDefinitionError(ValueError):
    """A form file itself is wrong (a process owner's mistake), not a user's input."""


@dataclass(frozen=True)
class FormField:
    name: str
    type: str
    label: str
    help: str | None = None
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    item_fields: tuple["FormField", ...] = ()
    show_if: dict | None = None
    min: float | None = None
    max: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    format: str | None = None
    # Rules that need the case (see case_rules.py): date bounds, working day, a regional setting.
    not_before: tuple = ()
    not_after: tuple = ()
    working_day: dict | None = None
    requires_setting: str | None = None
    # A people picker (people.py): the role of the users to choose from, where from, one or more.
    role: str | None = None
    scope: str | None = None
    multiple: bool = False

    @property
    def option_values(self) -> list[str]:
        return [value for value, _ in self.options]

    @property
    def must_answer(self) -> bool:
        """Must it be filled in (its star in the form)? A checkbox group or a list left empty is
        sent as [], which `required` accepts as "none of these": only `min_items` asks for one."""
        if self.type in ("multiple_choice", "list"):
            return bool(self.min_items)
        return self.required or bool(self.min_items)


@dataclass(frozen=True)
class FormDefinition:
    key: str
    title: str
    description: str | None
    fields: tuple[FormField, ...] = field(default_factory=tuple)

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


def _field(raw: Any, where: str) -> FormField:
    if not isinstance(raw, dict):
        raise FormDefinitionError(f"{where}: een veld moet een object zijn")
    name, kind = raw.get("name"), raw.get("type")
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise FormDefinitionError(f"{where}: ongeldige veldnaam {name!r}")
    where = f"{where}.{name}"
    if kind not in FIELD_TYPES:
        raise FormDefinitionError(f"{where}: onbekend type {kind!r} (kies uit {', '.join(sorted(FIELD_TYPES))})")
    if not raw.get("label"):
        raise FormDefinitionError(f"{where}: label ontbreekt")
    options = tuple((str(o["value"]), str(o.get("label", o["value"]))) for o in raw.get("options", []))
    if kind in ("choice", "multiple_choice") and not options:
        raise FormDefinitionError(f"{where}: keuzeveld zonder opties")
    items = tuple(_field(item, where) for item in raw.get("item_fields", []))
    if kind == "list" and not items:
        raise FormDefinitionError(f"{where}: lijst zonder item_fields")
    known = {"name", "type", "label", "help", "required", "options", "item_fields", "show_if",
             "min", "max", "min_items", "max_items", "format", *case_rules.RULE_KEYS, *people.PEOPLE_KEYS}
    unknown = set(raw) - known
    if unknown:
        raise FormDefinitionError(f"{where}: onbekende eigenschap(pen) {', '.join(sorted(unknown))}")
    if "format" in raw and (kind != "text" or raw["format"] not in TEXT_FORMATS):
        raise FormDefinitionError(f"{where}: format kan alleen bij type text, een van {', '.join(sorted(TEXT_FORMATS))}")
    rules = case_rules.parse_rules(raw, kind, where)
    rules.update(people.parse(raw, kind, where))
    return FormField(
        name=name,
        type=kind,
        label=raw["label"],
        help=raw.get("help"),
        required=bool(raw.get("required", False)),
        options=options,
        item_fields=items,
        show_if=raw.get("show_if"),
        min=raw.get("min"),
        max=raw.get("max"),
        min_items=raw.get("min_items"),
        max_items=raw.get("max_items"),
        format=raw.get("format"),
        **rules,
    )


def parse_definition(key: str, raw: Any) -> FormDefinition:
    if not isinstance(raw, dict) or "fields" not in raw:
        raise FormDefinitionError(f"{key}: een formulier heeft 'title' en 'fields'")
    fields = tuple(_field(f, key) for f in raw["fields"])
    names = [f.name for f in fields]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise FormDefinitionError(f"{key}: dubbele veldnamen {', '.join(sorted(duplicates))}")
    for f in fields:
        if f.show_if:
            target = f.show_if.get("field")
            if target not in names or target == f.name:
                raise FormDefinitionError(f"{key}.{f.name}: show_if verwijst naar onbekend veld {target!r}")
            if not ({"equals", "contains", "in"} & set(f.show_if)):
                raise FormDefinitionError(f"{key}.{f.name}: show_if heeft 'equals', 'contains' of 'in' nodig")
            if "in" in f.show_if and not isinstance(f.show_if["in"], list):
                raise FormDefinitionError(f"{key}.{f.name}: show_if 'in' is een lijst van waarden")
        confirm = (f.working_day or {}).get("confirm")
        if confirm is not None:
            target = next((g for g in fields if g.name == confirm), None)
            if target is None or target.type != "yes_no":
                raise FormDefinitionError(f"{key}.{f.name}: working_day.confirm moet een ja/nee-veld van dit formulier zijn")
    return FormDefinition(key=key, title=raw.get("title") or key, description=raw.get("description"), fields=fields)
