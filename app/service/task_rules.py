"""Rules of particular task forms that read the case, and what their pages start with.

- The interventiegesprek (P3/P4): "Het gesprek start als beide ouders aanwezig zijn". The chair
  records per invited parent with gezag (the case's `ouders` with `gezag`) whether they are there;
  the conversation can only be recorded as held when all of them are.
- P4: the card goes to the RvdK only after the inbrenger confirmed it is complete and that the
  parents know the RvdK is involved.
- The CAB records the day it was actually held (`cab_gehouden_op`): its page starts on today, and a
  program that leaves it out means today (the day the task is completed).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Mapping

from app.engine.clock import TZ
from app.formdefs import FormValidationError

GESPREK_FORMS = {"p3_interventiegesprek_voeren", "p4_interventiegesprek_voeren"}
VK_CHECK_FORM = "p4_vk_controleren"
CAB_FORM = "p0_cab_houden"


def parents_with_gezag(data: Mapping) -> list[str]:
    return [o["naam"].strip() for o in data.get("ouders") or []
            if isinstance(o, dict) and o.get("gezag") is True and isinstance(o.get("naam"), str) and o["naam"].strip()]


def _names(names) -> str:
    return ", ".join(names)


def _gesprek(values: dict, data: Mapping) -> dict:
    errors = {}
    expected = parents_with_gezag(data)
    present = {}
    for row in values.get("ouders_aanwezigheid") or []:
        present[row["naam"].strip().casefold()] = row["aanwezig"]
    missing = [n for n in expected if n.casefold() not in present]
    if missing:
        errors["ouders_aanwezigheid"] = [
            f"Vul voor iedere ouder met gezag in of die aanwezig is. Ontbreekt: {_names(missing)}."]
    absent = [n for n in expected if present.get(n.casefold()) is False]
    if values.get("gesprek_uitkomst") == "gevoerd" and (absent or missing):
        errors["gesprek_uitkomst"] = [
            "Het gesprek start pas als alle ouders met gezag aanwezig zijn"
            + (f" (niet aanwezig: {_names(absent)})" if absent else "")
            + ". Kies 'opnieuw plannen' of 'terug naar het VeiligheidsTeam' en noteer de reden."]
    return errors


def _vk_check(values: dict) -> dict:
    errors = {}
    if values.get("vk_compleet") is False:
        errors["vk_compleet"] = ["De kaart gaat pas naar de RvdK als hij compleet is. Vul hem eerst aan; "
                                 "bewaar dit formulier zo lang als concept."]
    if values.get("ouders_geinformeerd_rvdk") is False:
        errors["ouders_geinformeerd_rvdk"] = ["Vertel de ouders eerst dat de RvdK bij de casus betrokken wordt; "
                                              "pas dan gaat de kaart naar de RvdK."]
    return errors


def apply(form_key: str | None, values: dict, data: Mapping, now: datetime) -> dict:
    """The values to complete the task with, or FormValidationError with a Dutch message per field
    when the task's rules are not met. A CAB without its date was held today (the act's day)."""
    errors = {}
    if form_key == CAB_FORM and not values.get("cab_gehouden_op"):
        values = {**values, "cab_gehouden_op": now.astimezone(TZ).date().isoformat()}
    elif form_key in GESPREK_FORMS:
        errors = _gesprek(values, data)
    elif form_key == VK_CHECK_FORM:
        errors = _vk_check(values)
    if errors:
        raise FormValidationError(errors)
    return values


def prefill(form_key: str | None, data: Mapping, today: date) -> dict:
    """What a task's page shows before anyone typed: today for the CAB, a row per parent with gezag."""
    if form_key == CAB_FORM:
        return {"cab_gehouden_op": today.isoformat()}
    if form_key in GESPREK_FORMS:
        return {"ouders_aanwezigheid": [{"naam": n} for n in parents_with_gezag(data)]}
    return {}
