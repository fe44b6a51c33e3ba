"""The invitation letters (parents; a jeugdige of the age limit and older) and the .ics invitation.

The templates are Jinja2 files in letters/ that a process owner edits (letters/README.md lists the
variables). This module builds the variables, renders HTML in Jinja's sandbox (a template can
read its variables, never reach Python's internals), turns it into PDF with WeasyPrint (which may
fetch only files from letters/) and writes the iCalendar invitation with the `icalendar` library.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping

from icalendar import Calendar, Event, vCalAddress, vText
from jinja2 import DictLoader, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from app.documents import pdf
from app.engine.clock import TZ
from app.mail import is_address

LETTERS_DIR = Path(os.environ.get("VHT_LETTERS_DIR") or Path(__file__).resolve().parents[2] / "letters")
TEMPLATE_OUDERS = "uitnodiging_ouders.html.j2"
TEMPLATE_JEUGDIGE = "uitnodiging_jeugdige.html.j2"
DEFAULT_LEEFTIJDSGRENS = 8
DEFAULT_DUUR_MINUTEN = 90

MAANDEN = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december")
DAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
LOCATIES = {"gemeentehuis": "Gemeentehuis", "veilig_thuis_kantoor": "Veilig Thuis, kantoor",
            "zorg_en_veiligheidshuis": "Zorg- en Veiligheidshuis"}
GEMEENTEN = {"bergen_op_zoom": "Bergen op Zoom", "etten_leur": "Etten-Leur", "etten-leur": "Etten-Leur"}


class LetterError(ValueError):
    """A letter template that cannot be rendered (a mistake, or something the sandbox refuses)."""


# --- dates and ages ----------------------------------------------------------------------------

def moment(value) -> datetime:
    """A conversation moment from case data: ISO text without offset is Dutch local time."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    else:
        result = datetime.fromisoformat(str(value).strip())
    return result if result.tzinfo else result.replace(tzinfo=TZ)


def dag(value) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        return date.fromisoformat(value.strip())
    return moment(value).astimezone(TZ).date()


def datum_nl(value) -> str:
    """'donderdag 12 maart 2026'."""
    d = dag(value)
    return f"{DAGEN[d.weekday()]} {d.day} {MAANDEN[d.month - 1]} {d.year}"


def leeftijd_op(geboortedatum, op) -> int:
    """Whole years on a day (same rule as the engine helper leeftijd_op: 29 Feb counts from 1 March)."""
    geboren, d = dag(geboortedatum), dag(op)
    return d.year - geboren.year - ((d.month, d.day) < (geboren.month, geboren.day))


def uit_te_nodigen_jeugdigen(jeugdigen, gesprek_datum, grens: int = DEFAULT_LEEFTIJDSGRENS) -> list[dict]:
    """The jeugdigen who have reached the age limit on the date of the conversation (not today)."""
    return [j for j in jeugdigen or [] if isinstance(j, Mapping) and j.get("geboortedatum")
            and leeftijd_op(j["geboortedatum"], gesprek_datum) >= grens]


def looks_like_email(value) -> bool:
    return isinstance(value, str) and is_address(value.strip())


# --- the variables of a letter -----------------------------------------------------------------

@dataclass
class Invitation:
    """Everything the letters and the .ics say; built from the case data (see from_case_data)."""
    referentie: str
    gesprek_start: datetime
    gesprek_eind: datetime
    locatie: str
    ruimte: str = ""
    deelnemers: list[dict] = field(default_factory=list)
    ouders: list[dict] = field(default_factory=list)
    jeugdigen: list[dict] = field(default_factory=list)  # those invited (age limit reached on the date)
    doel: str = ""
    voorzitter: str = ""
    gemeente: str = ""
    inbrenger: dict = field(default_factory=dict)  # naam, organisatie, email
    datum_brief: date | None = None
    rvdk_betrokken: bool = False  # P4: the parents are told that the RvdK takes part
    vorig_moment: datetime | None = None  # a corrected invitation: the date it replaces

    @classmethod
    def from_case_data(cls, data: Mapping[str, Any], *, referentie: str, gemeente: str | None,
                       inbrenger: Mapping[str, Any], today: date, jeugdige_uitgenodigd: bool = True,
                       rvdk_betrokken: bool = False, vorig_moment=None) -> "Invitation":
        start = moment(data["gesprek_datum"])
        instellingen = data.get("instellingen") or {}
        duur = int(instellingen.get("gespreksduur_minuten") or DEFAULT_DUUR_MINUTEN)
        grens = int(instellingen.get("leeftijdsgrens_jeugdige") or DEFAULT_LEEFTIJDSGRENS)
        soort = data.get("locatie_type") or ""
        locatie = (data.get("locatie_anders") or "") if soort == "anders" else LOCATIES.get(soort, soort)
        gemeente_naam = GEMEENTEN.get(gemeente or "", (gemeente or "").replace("_", " ").title())
        if soort == "gemeentehuis" and gemeente_naam:
            locatie = f"{locatie} {gemeente_naam}"
        jeugdigen = uit_te_nodigen_jeugdigen(data.get("jeugdigen"), start, grens) if jeugdige_uitgenodigd else []
        voorzitter = data.get("voorzitter_naam") or "" if data.get("voorzitter_type") == "onafhankelijk" else ""
        return cls(
            referentie=referentie, gesprek_start=start, gesprek_eind=start + timedelta(minutes=duur),
            locatie=locatie or "(locatie volgt)", ruimte=data.get("ruimte") or "",
            deelnemers=[{"naam": d.get("naam") or "", "organisatie": d.get("organisatie") or "",
                         "rol": d.get("rol") or ""} for d in data.get("deelnemers") or [] if isinstance(d, Mapping)],
            ouders=[{**o, "naam": o.get("naam") or "", "contact": o.get("contact") or ""}
                    for o in data.get("ouders") or [] if isinstance(o, Mapping)], jeugdigen=jeugdigen,
            doel=data.get("uitnodiging_doel") or "", voorzitter=voorzitter, gemeente=gemeente_naam,
            inbrenger={"naam": inbrenger.get("naam") or "", "email": inbrenger.get("email") or "",
                       "organisatie": inbrenger.get("organisatie") or data.get("inbrenger_organisatie") or ""},
            datum_brief=today, rvdk_betrokken=rvdk_betrokken,
            vorig_moment=moment(vorig_moment) if vorig_moment else None,
        )

    def context(self, jeugdige: Mapping | None = None, templates: Mapping[str, str] | None = None) -> dict:
        local = self.gesprek_start.astimezone(TZ)
        namen = [o.get("naam") for o in self.ouders if o.get("naam")]
        ouders_namen = " en ".join([", ".join(namen[:-1]), namen[-1]] if len(namen) > 1 else namen) or "de ouders"
        voornamen = [j["naam"].split()[0] for j in self.jeugdigen if j.get("naam")]
        vorig = self.vorig_moment.astimezone(TZ) if self.vorig_moment else None
        return {
            "referentie": self.referentie, "datum_brief": datum_nl(self.datum_brief or local.date()),
            "gesprek": {"datum": datum_nl(local), "tijd": f"{local:%H:%M}",
                        "eind_tijd": f"{self.gesprek_eind.astimezone(TZ):%H:%M}", "moment": local},
            "locatie": self.locatie, "ruimte": self.ruimte, "deelnemers": self.deelnemers,
            "ouders": self.ouders, "ouders_namen": ouders_namen,
            "aanhef": "Beste " + ouders_namen if namen else "Beste ouders",
            "jeugdigen_uitgenodigd": " en ".join(voornamen), "jeugdigen_uitgenodigd_aantal": len(voornamen),
            "jeugdige": _jeugdige(jeugdige) if jeugdige else None,
            "doel": self.doel, "voorzitter": self.voorzitter, "gemeente": self.gemeente,
            "rvdk_betrokken": self.rvdk_betrokken,
            "wijziging": {"datum": datum_nl(vorig), "tijd": f"{vorig:%H:%M}"} if vorig else None,
            # The process owner's stylesheet goes into <style> as it is: escaping it broke its quotes.
            "inbrenger": self.inbrenger, "css": Markup(_css(templates)),
        }


def _jeugdige(j: Mapping) -> dict:
    naam = (j.get("naam") or "").strip()
    return {"naam": naam, "voornaam": naam.split()[0] if naam else "", "geboortedatum": j.get("geboortedatum")}


# --- rendering ---------------------------------------------------------------------------------

def _css(templates: Mapping[str, str] | None) -> str:
    if templates and "brief.css" in templates:
        return templates["brief.css"]
    return (LETTERS_DIR / "brief.css").read_text(encoding="utf-8")


def _environment(templates: Mapping[str, str] | None = None) -> SandboxedEnvironment:
    # A case's letters come from the templates deployed with its version; without those, the folder.
    loader = DictLoader(dict(templates)) if templates else FileSystemLoader(str(LETTERS_DIR))
    return SandboxedEnvironment(loader=loader,
                                autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True)


def render_html(template: str, context: Mapping[str, Any], templates: Mapping[str, str] | None = None) -> str:
    try:
        return _environment(templates).get_template(template).render(**context)
    except SecurityError as exc:
        raise LetterError(f"Het briefsjabloon {template} probeert iets wat niet is toegestaan ({exc}). "
                          "Er is niets opgeslagen; laat de procesbeheerder het sjabloon aanpassen.") from None
    except TemplateError as exc:
        raise LetterError(f"Het briefsjabloon {template} bevat een fout ({exc}). "
                          "Er is niets opgeslagen; laat de procesbeheerder het sjabloon aanpassen.") from None


def render_pdf(html: str) -> bytes:
    return pdf.render(html, LETTERS_DIR)


def letter_ouders(inv: Invitation, templates: Mapping[str, str] | None = None) -> str:
    return render_html(TEMPLATE_OUDERS, inv.context(templates=templates), templates)


def letter_jeugdige(inv: Invitation, jeugdige: Mapping, templates: Mapping[str, str] | None = None) -> str:
    return render_html(TEMPLATE_JEUGDIGE, inv.context(jeugdige, templates), templates)


# --- iCalendar (RFC 5545) ----------------------------------------------------------------------

def ics(*, uid: str, start: datetime, end: datetime, summary: str, location: str, description: str,
        dtstamp: datetime, organizer: str | None = None, attendees: list[str] = (), sequence: int = 0) -> bytes:
    """One VEVENT in a VCALENDAR with METHOD:REQUEST; times in UTC. The library escapes the text
    (commas, semicolons, backslashes, and every line break: CRLF, LF and a CR alone) and folds.
    A changed appointment keeps its UID with a higher SEQUENCE, so calendars move the event."""
    calendar = Calendar()
    for key, value in (("prodid", "-//VeiligheidsTeam WBW//Werkwijze//NL"), ("version", "2.0"),
                       ("calscale", "GREGORIAN"), ("method", "REQUEST")):
        calendar.add(key, value)
    event = Event()
    event.add("uid", uid)
    for key, value in (("dtstamp", dtstamp), ("dtstart", start), ("dtend", end)):
        event.add(key, value.astimezone(timezone.utc))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for address in attendees:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=False)
    event.add("sequence", sequence)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()


def invitation_ics(inv: Invitation, *, uid: str, dtstamp: datetime, attendees: list[str] = (),
                   sequence: int = 0) -> bytes:
    wie = ", ".join(d.get("naam", "") for d in inv.deelnemers if d.get("naam"))
    description = ("Interventiegesprek: samen met de ouders tot een aanpak komen waarin zij vertrouwen hebben "
                   "en waaraan zij kunnen en willen meewerken."
                   + (f"\n{inv.doel}" if inv.doel else "")
                   + (f"\nAanwezig: {wie}." if wie else "")
                   + "\nOuders (en de jeugdige) mogen een vertrouwenspersoon meebrengen."
                   + f"\nCasus {inv.referentie}."
                   + (f"\nGewijzigd: het gesprek was gepland op {datum_nl(inv.vorig_moment)} om "
                      f"{inv.vorig_moment.astimezone(TZ):%H:%M} uur." if inv.vorig_moment else ""))
    location = inv.locatie + (f", {inv.ruimte}" if inv.ruimte else "")
    return ics(uid=uid, start=inv.gesprek_start, end=inv.gesprek_eind, summary=f"Interventiegesprek ({inv.referentie})",
               location=location, description=description, dtstamp=dtstamp, organizer=inv.inbrenger.get("email"),
               attendees=attendees, sequence=sequence)
