"""Form rules that need the case: dates that must make sense, and fields a regional setting allows.

A form's own checks (types, required, show_if) see only what was typed. These rules also see the
case as the task sees it (`FormContext`: the clock, the case data, the working-day calendar and
the case's settings), so the person gets a Dutch message at the field instead of a case that runs
on an impossible date. Declared per field in forms/*.json (forms/README.md):

    "not_before": ["today", {"data": ["cab_gehouden_op", "cab_datum"], "label": "de consultatie- en adviesbespreking"}]
    "not_after": ["today"]
    "working_day": {"confirm": "<a yes_no field of the form>"}
    "requires_setting": "<a setting in processes/parameters.json that must be true>"

A field with `requires_setting` exists only while that setting is true (validation.py treats it
as hidden otherwise, and refuses a value for it with a message naming the regional choice).

"today" is today for a date field and now for a datetime field. A reference to case data that is
missing is skipped (a case started without that date). The service always passes a context; a
caller without one (a form preview) gets the form's own checks only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Mapping

from app.engine.clock import TZ
from app.engine.werkdagen import WerkdagKalender

if TYPE_CHECKING:
    from .definition import FormField

RULE_KEYS = ("not_before", "not_after", "working_day", "requires_setting")
TODAY = "today"

DAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MAANDEN = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december")


@dataclass(frozen=True)
class FormContext:
    """What the rules may read: the instant of the act, the case data the task sees, the settings."""
    now: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    # Who may be chosen in a people picker: (role, scope) -> [(username, label)] (people.py).
    people: Any = None

    @property
    def today(self) -> date:
        return self.now.astimezone(TZ).date()

    @property
    def kalender(self) -> WerkdagKalender:
        return WerkdagKalender([date.fromisoformat(str(d)) for d in self.settings.get("extra_sluitingsdagen") or []])


def setting_off_message(name: str) -> str:
    return (f"Dit kan in deze regio niet: de regionale keuze '{name}' staat uit "
            "(zie de pagina Regionale keuzes).")


def datum_nl(d: date) -> str:
    """'zaterdag 14 maart 2026'."""
    return f"{DAGEN[d.weekday()]} {d.day} {MAANDEN[d.month - 1]} {d.year}"


# --- reading the rules from a form file --------------------------------------------------------

def _reference(ref, where: str):
    from .definition import FormDefinitionError

    if ref == TODAY:
        return TODAY
    if (isinstance(ref, dict) and isinstance(ref.get("data"), list) and ref["data"]
            and all(isinstance(n, str) and n.isidentifier() for n in ref["data"]) and isinstance(ref.get("label"), str)):
        return (tuple(ref["data"]), ref["label"])
    raise FormDefinitionError(f"{where}: een datumgrens is \"today\" of {{\"data\": [namen], \"label\": tekst}}, "
                              f"niet {ref!r}")


def parse_rules(raw: Mapping, kind: str, where: str) -> dict:
    """The case rules of one field as FormField keyword arguments; a wrong rule is the form's mistake."""
    from .definition import FormDefinitionError

    rules: dict = {}
    for key in ("not_before", "not_after"):
        if key in raw:
            if kind not in ("date", "datetime") or not isinstance(raw[key], list):
                raise FormDefinitionError(f"{where}: {key} is een lijst en hoort bij een date- of datetime-veld")
            rules[key] = tuple(_reference(ref, f"{where}.{key}") for ref in raw[key])
    if "working_day" in raw:
        value = raw["working_day"]
        if kind not in ("date", "datetime") or not isinstance(value, dict) or set(value) - {"confirm"}:
            raise FormDefinitionError(f"{where}: working_day is {{\"confirm\": veldnaam}} bij een date- of datetime-veld")
        rules["working_day"] = dict(value)
    if "requires_setting" in raw:
        if not isinstance(raw["requires_setting"], str) or not raw["requires_setting"].isidentifier():
            raise FormDefinitionError(f"{where}: requires_setting is de naam van een instelling")
        rules["requires_setting"] = raw["requires_setting"]
    return rules


# --- checking a submitted form against the case ------------------------------------------------

def _as_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _moment(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _bound(ref, context: FormContext) -> tuple[date, str] | None:
    """(the day, how the message names it) of a reference, or None when the case lacks it."""
    if ref == TODAY:
        return context.today, "vandaag"
    names, label = ref
    for name in names:
        day = _as_date(context.data.get(name))
        if day is not None:
            return day, label
    return None


def _field_problems(spec: "FormField", value, all_values: Mapping, context: FormContext) -> list[str]:
    problems: list[str] = []
    if spec.type not in ("date", "datetime") or not isinstance(value, str):
        return problems
    day = _as_date(value)
    if day is None:
        return problems
    moment = _moment(value) if spec.type == "datetime" else None
    for ref in spec.not_before:
        if ref == TODAY and moment is not None:
            if moment < context.now:
                local = moment.astimezone(TZ)
                problems.append(f"Dit moment ({datum_nl(local.date())} om {local:%H:%M}) ligt in het verleden. "
                                "Kies een moment in de toekomst.")
            continue
        bound = _bound(ref, context)
        if bound and day < bound[0]:
            problems.append(f"Deze datum ({datum_nl(day)}) ligt vóór {bound[1]}"
                            + ("" if ref == TODAY else f" ({datum_nl(bound[0])})")
                            + ". Kies die dag of een latere datum.")
    for ref in spec.not_after:
        bound = _bound(ref, context)
        if bound and day > bound[0]:
            problems.append(f"Deze datum ({datum_nl(day)}) ligt ná {bound[1]}"
                            + ("" if ref == TODAY else f" ({datum_nl(bound[0])})")
                            + ". Kies die dag of een eerdere datum.")
    if spec.working_day is not None and not context.kalender.is_werkdag(day):
        confirm = spec.working_day.get("confirm")
        if not (confirm and all_values.get(confirm) is True):
            problems.append(f"{datum_nl(day).capitalize()} is geen werkdag ({_why_not(day, context)}). Kies een "
                            "werkdag" + (", of bevestig hieronder dat het gesprek bewust op deze dag plaatsvindt."
                                         if confirm else "."))
    return problems


def _why_not(day: date, context: FormContext) -> str:
    kalender = context.kalender
    if kalender.is_feestdag(day):
        return "feestdag: " + kalender.feestdagen(day.year)[day]
    if day.weekday() >= 5:
        return "weekend"
    return "sluitingsdag van de regio"


def check(fields: tuple, values: Mapping, context: FormContext, errors: dict) -> None:
    """Add the messages of every broken rule to `errors` (same shape as the form's own messages)."""
    for spec in fields:
        if spec.name in errors or spec.name not in values:
            continue
        value = values[spec.name]
        if spec.type == "list" and isinstance(value, list):
            for index, row in enumerate(value):
                row_errors: dict = {}
                check(spec.item_fields, row, context, row_errors)
                if row_errors:
                    errors.setdefault(spec.name, {})[index] = row_errors
            continue
        problems = _field_problems(spec, value, values, context)
        if problems:
            errors[spec.name] = problems
