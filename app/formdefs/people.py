"""The people picker: a form field whose value is a user of the product with a given role.

    {"name": "toegang_gebruiker", "type": "user", "role": "toegang", "scope": "gemeente",
     "label": "Jeugdhulpprofessional van de gemeente"}
    {"name": "netwerkpartner_gebruikers", "type": "user", "multiple": true, "role": "netwerkpartner",
     "scope": "regio", "label": "..."}

The value is a username (a list of them with `multiple`). Which users may be chosen is decided
by the service when the form is shown or submitted (`FormContext.people`): active users with the
role, and with `scope`
- `gemeente`: the case's gemeente;
- `gemeente_of_regionaal`: the case's gemeente, or no gemeente (they work for the whole region);
- `organisatie`: the organisation the case has for that role (at a start: the starter's own);
- `regio`: anyone with the role.
A page shows the choices as a select; the API's JSON Schema lists them as `enum` (with the names
in `x-labels`). A value that is not among them is refused with a Dutch message.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:
    from .definition import FormDefinition, FormField

USER = "user"
SCOPES = ("gemeente", "gemeente_of_regionaal", "organisatie", "regio")
PEOPLE_KEYS = ("role", "scope", "multiple")
# (role, scope) -> [(username, label)]
Lookup = Callable[[str, str], list[tuple[str, str]]]


def parse(raw: Mapping, kind: str, where: str) -> dict:
    """role/scope/multiple of a user field as FormField keyword arguments."""
    from .definition import FormDefinitionError

    present = [key for key in PEOPLE_KEYS if key in raw]
    if kind != USER:
        if present:
            raise FormDefinitionError(f"{where}: {', '.join(present)} hoort alleen bij een veld van type user")
        return {}
    role, scope = raw.get("role"), raw.get("scope", "regio")
    if not isinstance(role, str) or not role.isidentifier():
        raise FormDefinitionError(f"{where}: een user-veld heeft een role (de rolcode, bijv. toegang)")
    if scope not in SCOPES:
        raise FormDefinitionError(f"{where}: scope is een van {', '.join(SCOPES)}")
    if not isinstance(raw.get("multiple", False), bool):
        raise FormDefinitionError(f"{where}: multiple is true of false")
    return {"role": role, "scope": scope, "multiple": raw.get("multiple", False)}


def _user_fields(fields: tuple) -> list["FormField"]:
    return [f for f in fields if f.type == USER]


def has_people(definition: "FormDefinition") -> bool:
    return bool(_user_fields(definition.fields))


def resolve(definition: "FormDefinition", lookup: Lookup) -> "FormDefinition":
    """The definition with every user field's choices filled in (for a page or the JSON Schema)."""
    if not has_people(definition):
        return definition
    fields = tuple(replace(f, options=tuple(lookup(f.role, f.scope))) if f.type == USER else f
                   for f in definition.fields)
    return replace(definition, fields=fields)


def check(fields: tuple, values: Mapping, lookup: Lookup | None, errors: dict) -> None:
    """Add a message for every chosen person who may not be chosen here."""
    for spec in _user_fields(fields):
        if spec.name in errors or spec.name not in values:
            continue
        chosen = values[spec.name] if spec.multiple else [values[spec.name]]
        allowed = dict(lookup(spec.role, spec.scope)) if lookup else {}
        wrong = [name for name in chosen if name not in allowed]
        if wrong:
            errors[spec.name] = [
                f"'{name}' kan hier niet gekozen worden: kies een actieve gebruiker met de rol '{spec.role}'"
                + {"gemeente": " in de gemeente van de casus",
                   "gemeente_of_regionaal": " in de gemeente van de casus of in de hele regio",
                   "organisatie": " van de organisatie van de casus"}.get(spec.scope, "")
                + (f" ({', '.join(allowed.values())})." if allowed else
                   ". Er is er geen; vraag de beheerder een account aan te maken.")
                for name in wrong[:1]]
