"""Who receives the Veiligheidskaart before and after the conversation, from the case data alone.

The source text: the definitive card goes "aan alle deelnemers van het gesprek", the card after it
"opnieuw naar ouders en de afgesproken netwerkpartners". So the parents (case data `ouders`) and
every participant planned for the conversation (`deelnemers`, and the chair) always receive it;
the distribution list the inbrenger fills in only adds people. Which participants get it only
when the inbrenger adds them (the jeugdige, a vertrouwenspersoon: DOMAIN gap G8) is the regional
choice `vk_alleen_indien_afgesproken` in parameters.json.

A recipient whose address is not a valid e-mail address (a phone number, nothing) is kept with
`email` None: the inbrenger hands the card over. Pure: the diagrams' helper `vk_zonder_email`
and the mail (app/service/notifications.py) use the same list, so they always agree.
"""
from __future__ import annotations

from typing import Any, Mapping

from email_validator import EmailNotValidError, validate_email

# Without the setting (a case started before it existed): the interpretation of DOMAIN.md G8.
STANDAARD_ALLEEN_INDIEN_AFGESPROKEN = ("jeugdige", "vertrouwenspersoon")


def email_of_none(text) -> str | None:
    """The normalised address, or None for anything that is not one plain e-mail address."""
    if not isinstance(text, str) or "@" not in text:
        return None
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _rol(value) -> str:
    return str(value or "").strip().casefold()


def vk_ontvangers(data: Mapping[str, Any], lijst: str) -> list[dict]:
    """[{naam, rol, email or None, gebruiker or None}] in a stable order: parents, participants,
    the chair, then the extra people of the distribution list `lijst`. One entry per name."""
    instellingen = data.get("instellingen") if isinstance(data.get("instellingen"), Mapping) else {}
    alleen_afgesproken = {_rol(r) for r in instellingen.get("vk_alleen_indien_afgesproken",
                                                            STANDAARD_ALLEEN_INDIEN_AFGESPROKEN)}
    entries: list[dict] = []

    def add(naam, rol, email=None, gebruiker=None) -> None:
        naam = str(naam or "").strip()
        if not naam:
            return
        for entry in entries:  # the same person twice (a parent also listed as participant): merge
            if entry["naam"].casefold() == naam.casefold():
                entry["email"] = entry["email"] or email_of_none(email)
                entry["gebruiker"] = entry["gebruiker"] or gebruiker
                return
        entries.append({"naam": naam, "rol": str(rol or "").strip(), "email": email_of_none(email),
                        "gebruiker": gebruiker or None})

    for ouder in _rows(data.get("ouders")):
        add(ouder.get("naam"), "ouder", ouder.get("contact") or ouder.get("email"))
    for deelnemer in _rows(data.get("deelnemers")):
        if _rol(deelnemer.get("rol")) not in alleen_afgesproken:
            add(deelnemer.get("naam"), deelnemer.get("rol"), deelnemer.get("email"))
    if data.get("voorzitter_type") == "onafhankelijk" and data.get("voorzitter_naam"):
        add(data.get("voorzitter_naam"), "voorzitter", data.get("voorzitter_contact"),
            data.get("voorzitter_gebruiker"))
    for row in _rows(data.get(lijst)):
        add(row.get("naam"), row.get("rol"), row.get("email"))
    return entries


def zonder_email(entries: list[dict]) -> list[str]:
    """'Naam (rol)' of every recipient the card cannot be mailed to."""
    return [f"{e['naam']} ({e['rol']})" if e["rol"] else e["naam"]
            for e in entries if not e["email"] and not e["gebruiker"]]


def _rows(value) -> list[Mapping]:
    return [row for row in value or [] if isinstance(row, Mapping)] if isinstance(value, list) else []
