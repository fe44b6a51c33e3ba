"""Rules of particular task forms that read the case, and what their pages start with.

- The interventiegesprek (P3/P4): "Het gesprek start als beide ouders aanwezig zijn". The chair
  records per invited parent with gezag (the case's `ouders` with `gezag`) whether they are there;
  the conversation can only be recorded as held when all of them are.
- P4: the card goes to the RvdK only after the inbrenger confirmed it is complete and that the
  parents know the RvdK is involved.
- The CAB records the day it was actually held (`cab_gehouden_op`): its page starts on today, and a
  program that leaves it out means today (the day the task is completed).
- What the case already knows is not asked again (issue 13): the distribution lists start with
  everyone the card goes to (parents, participants, chair; app/engine/vk_ontvangers.py), "Gesprek
  verwerken" with the chair's notes and agreements, the advice step with "verwerkt" when the card
  already holds the CAB advice (P4 after P0: a confirmation with the card beside it). The card's
  version is the product's: the definitive send records the card's current version.
- An independent chair chosen as safety measure excludes "De inbrenger zelf" as chair.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Mapping

from app.engine.clock import TZ
from app.engine.vk_ontvangers import vk_ontvangers
from app.formdefs import FormValidationError

GESPREK_FORMS = {"p3_interventiegesprek_voeren", "p4_interventiegesprek_voeren"}
VK_CHECK_FORM = "p4_vk_controleren"
CAB_FORM = "p0_cab_houden"
ADVICE_FORM = "sp_vk_verwerken_advies"
DEFINITIVE_FORM = "sp_vk_voorbereiden_definitief_versturen"
PROCESS_FORM = "sp_vk_na_gesprek_verwerken"
CHAIR_FORM = "sp_gesprek_organiseren_voorzitter"
# {form key: (its distribution list, an earlier list whose people were agreed on)}
CARD_LIST_FORMS = {
    DEFINITIVE_FORM: ("verzendlijst_definitieve_vk", None),
    "sp_vk_na_gesprek_uitkomst": ("verzendlijst_na_gesprek", "verzendlijst_definitieve_vk"),
}
# The steps that judge or edit the card: their page shows the current card beside the form.
CARD_BESIDE_FORMS = {ADVICE_FORM, DEFINITIVE_FORM, PROCESS_FORM, "sp_vk_na_gesprek_uitkomst", VK_CHECK_FORM,
                     "p4_grond_toetsen", "sp_vk_voorbereiden_reactie_vragen", "sp_vk_voorbereiden_reactie_verwerken",
                     "sp_vk_overhandigen", "p5_vht_inbrengen", "p5_vk_update"}
INDEPENDENT_CHAIR = "onafhankelijk_voorzitter"  # the safety measure of sp_gesprek_organiseren_veiligheid


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


def independent_chair_required(data: Mapping) -> bool:
    measures = data.get("veiligheidsmaatregelen")
    return isinstance(measures, list) and INDEPENDENT_CHAIR in measures


def excluded_options(form_key: str | None, data: Mapping) -> dict[str, set[str]]:
    """{field: values} that an earlier answer in the case rules out, so the form does not offer them."""
    if form_key == CHAIR_FORM and independent_chair_required(data):
        return {"voorzitter_type": {"inbrenger"}}
    return {}


def afspraken_text(rows) -> str:
    """Agreements (wie, wat, wanneer, monitoring) as lines for the card."""
    lines = []
    for row in rows or []:
        if not isinstance(row, Mapping) or not (row.get("wie") or row.get("wat")):
            continue
        line = f"{str(row.get('wie') or '').strip()}: {str(row.get('wat') or '').strip()}"
        when = row.get("wanneer")
        extra = [f"uiterlijk {date.fromisoformat(when).strftime('%d-%m-%Y')}" if isinstance(when, str) and when else "",
                 f"monitoring: {row['monitoring'].strip()}" if isinstance(row.get("monitoring"), str)
                 and row["monitoring"].strip() else ""]
        extra = [e for e in extra if e]
        lines.append(f"- {line}" + (f" ({'; '.join(extra)})" if extra else ""))
    return "\n".join(lines)


def _vk_check(values: dict) -> dict:
    errors = {}
    if values.get("vk_compleet") is False:
        errors["vk_compleet"] = ["De kaart gaat pas naar de RvdK als hij compleet is. Vul hem eerst aan; "
                                 "bewaar dit formulier zo lang als concept."]
    if values.get("ouders_geinformeerd_rvdk") is False:
        errors["ouders_geinformeerd_rvdk"] = ["Vertel de ouders eerst dat de RvdK bij de casus betrokken wordt; "
                                              "pas dan gaat de kaart naar de RvdK."]
    return errors


def apply(form_key: str | None, values: dict, data: Mapping, now: datetime, card_version: int | None = None) -> dict:
    """The values to complete the task with, or FormValidationError with a Dutch message per field
    when the task's rules are not met. A CAB without its date was held today (the act's day); the
    definitive card sent is the card's current version (`card_version`)."""
    errors = {}
    if form_key == CAB_FORM and not values.get("cab_gehouden_op"):
        values = {**values, "cab_gehouden_op": now.astimezone(TZ).date().isoformat()}
    elif form_key == DEFINITIVE_FORM and card_version is not None:
        values = {**values, "vk_versie": card_version}
    elif form_key == CHAIR_FORM and values.get("voorzitter_type") in excluded_options(form_key, data).get(
            "voorzitter_type", ()):
        errors["voorzitter_type"] = ["Bij de veiligheidsinschatting is een onafhankelijk voorzitter als maatregel "
                                     "gekozen. Kies 'Onafhankelijk voorzitter'."]
    elif form_key in GESPREK_FORMS:
        errors = _gesprek(values, data)
    elif form_key == VK_CHECK_FORM:
        errors = _vk_check(values)
    if errors:
        raise FormValidationError(errors)
    return values


def _recipients(data: Mapping, form_key: str) -> list[dict]:
    lijst, agreed = CARD_LIST_FORMS[form_key]
    rows = vk_ontvangers(data, agreed or lijst)
    return [{"naam": r["naam"], "rol": r["rol"], "email": r["email"] or ""} for r in rows]


def _conversation(data: Mapping) -> str:
    notes = str(data.get("notulen") or "").strip()
    agreed = afspraken_text(data.get("afspraken_gesprek"))
    return "\n\n".join(part for part in (notes, f"Afspraken:\n{agreed}" if agreed else "") if part)


def prefill(form_key: str | None, data: Mapping, today: date, card: Mapping | None = None) -> dict:
    """What a task's page shows before anyone typed, from the data the task sees and the case's
    current card (`card`: its sections): today for the CAB, a row per parent with gezag, the
    card's recipients, the chair's notes and agreements, the advice as processed."""
    if form_key == CAB_FORM:
        return {"cab_gehouden_op": today.isoformat()}
    if form_key in GESPREK_FORMS:
        return {"ouders_aanwezigheid": [{"naam": n} for n in parents_with_gezag(data)]}
    if form_key in CARD_LIST_FORMS:
        return {CARD_LIST_FORMS[form_key][0]: _recipients(data, form_key)}
    if form_key == PROCESS_FORM:
        text = _conversation(data)
        return {"weergave_gesprek": text} if text else {}
    if form_key == ADVICE_FORM and card and card.get("advies_tekst"):
        return {"vk_advies_verwerkt": True}
    if form_key == CHAIR_FORM and independent_chair_required(data):
        return {"voorzitter_type": "onafhankelijk"}
    return {}
