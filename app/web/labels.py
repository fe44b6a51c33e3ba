"""Dutch words for codes (roles, event types, deadlines) and the date formats people read."""
from __future__ import annotations

import re
from datetime import date, datetime

from app.engine.clock import TZ
from app.service.form_values import words  # noqa: F401 - the template filter 'woorden'

ROLES = {
    "inbrenger": "Inbrenger",
    "veiligheidsteam": "VeiligheidsTeam",
    "netwerkpartner": "Netwerkpartner",
    "voorzitter": "Voorzitter",
    "rvdk": "Raad voor de Kinderbescherming",
    "gi": "Gecertificeerde instelling",
    "toegang": "Gemeentelijke toegang",
    "zorgaanbieder": "Zorgaanbieder",
    "procesbeheerder": "Procesbeheerder",
    "auditor": "Auditor",
    "beheerder": "Beheerder",
}

EVENTS = {
    "instance_started": "Procedure gestart",
    "task_completed": "Taak afgerond",
    "task_claimed": "Taak opgepakt",
    "task_unclaimed": "Taak vrijgegeven",
    "task_reassigned": "Taak overgedragen",
    "message_delivered": "Bericht ontvangen",
    "timer_fired": "Termijn verstreken",
    "casus_afgesloten": "Casus afgesloten (alle procedures beëindigd, geen besluit van het VeiligheidsTeam open)",
    "casus_heropend": "Casus weer open",
    "avg_export": "AVG-export gemaakt door de beheerder",
}

DEADLINE_FILTERS = [
    ("", "Alle deadlines"),
    ("verlopen", "Verlopen"),
    ("binnenkort", "Binnen 2 werkdagen"),
    ("deze_week", "Deze week"),
    ("geen", "Geen deadline"),
]

INSTANCE_STATUS = {"running": "loopt", "completed": "afgerond", "cancelled": "gestopt", "error": "fout"}
CASE_STATUS = {"open": "open", "afgesloten": "afgesloten", "closed": "gesloten", "gesloten": "gesloten",
               "vernietigd": "vernietigd"}
TASK_STATE = {"open": "open", "completed": "afgerond", "cancelled": "vervallen"}
MAATREGEL = {"geen": "Geen", "ots": "Ondertoezichtstelling (OTS)", "voogdij": "Voogdij"}


def role(code: str | None) -> str:
    return ROLES.get(code or "", code or "")


# The procedure texts name a regional choice by its id, as parameters.json does ('instelling
# "leeftijdsgrens_jeugdige"'); people read its name.
SETTING = re.compile(r'(instelling\s+)"?([a-z0-9]+(?:_[a-z0-9]+)+)"?')


def settings_named(text: str | None) -> str:
    return SETTING.sub(lambda m: f'{m.group(1)}"{words(m.group(2))}"', text or "")


def local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(TZ) if moment is not None else None


def datum(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = local(value) if value.tzinfo else value
        return value.strftime("%d-%m-%Y")
    return value.strftime("%d-%m-%Y")


def datumtijd(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = local(value) if value.tzinfo else value
        return value.strftime("%d-%m-%Y %H:%M")
    return datum(value)


def tijdstip(value: datetime | None) -> str:
    """To the second, as an auditor reads it: 12-05-2026 10:00:05 (Dutch local time)."""
    if value is None:
        return ""
    return (local(value) if value.tzinfo else value).strftime("%d-%m-%Y %H:%M:%S")


def register(app) -> None:
    app.add_template_filter(role, "rol")
    app.add_template_filter(tijdstip, "tijdstip")
    app.add_template_filter(words, "woorden")
    app.add_template_filter(settings_named, "instellingen")
    app.add_template_filter(datum, "datum")
    app.add_template_filter(datumtijd, "datumtijd")
    app.jinja_env.globals.update(
        EVENT_LABELS=EVENTS, INSTANCE_STATUS=INSTANCE_STATUS, CASE_STATUS=CASE_STATUS,
        TASK_STATE=TASK_STATE, MAATREGEL=MAATREGEL, DEADLINE_FILTERS=DEADLINE_FILTERS,
    )
