"""The functions an expression may call (processes/README.md, "Expressions", helpers table).

Inputs may be ISO strings (what case data holds), `date` or `datetime` objects. Results are ISO
strings, so they are JSON-safe in task data and usable as SpiffWorkflow timer values:
dates as 'YYYY-MM-DD', moments as local Europe/Amsterdam time with offset
('2026-04-22T23:59:59+02:00'); `datetime.fromisoformat` parses both.

Choices the README leaves open:
- A datetime passed where a day is meant counts as its day in Europe/Amsterdam.
- `dagen_na` keeps the kind it was given: a date gives a date, a moment gives a moment (same
  local clock time, so a DST change does not shift it by an hour). n may be negative.
- `einde_dag` is 23:59:59 local time: the last second of the day still counts as "on time".
- Born on 29 February: in a non-leap year the birthday is 1 March. `leeftijd_op` and
  `achttiende_verjaardag` agree on this (one is a year older only once the full day 28 Feb is over).
- `jongste_leeftijd_op` / `oudste_leeftijd_op` of an empty list give None (no youngest exists);
  `None >= 18` in a condition then fails with a clear message rather than silently choosing a
  path. An entry without `geboortedatum` is an error. An entry may also be a plain date.
- Counts (n) must be whole numbers within generous bounds; working days and weeks from 0 up.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Mapping

from app.engine import clock
from app.engine.clock import TZ
from app.engine.expressions import ExpressieFout
from app.engine.werkdagen import MAX_WERKDAGEN, WerkdagKalender

HELPER_NAMES = (
    "werkdagen_voor", "werkdagen_na", "weken_voor", "dagen_na", "einde_dag", "om", "minuten_voor",
    "leeftijd_op", "jongste_leeftijd_op", "oudste_leeftijd_op", "achttiende_verjaardag",
    "vandaag", "nu", "instelling", "vk_zonder_email", "gekozen",
)

# Guards against absurd counts: each stays far beyond any real deadline.
MAX_DAGEN = 100 * 366
MAX_WEKEN = 100 * 53
MAX_MINUTEN = 366 * 24 * 60

_HH_MM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def make_helpers(kalender: WerkdagKalender, context: Mapping[str, Any] | None = None) -> dict[str, Callable]:
    """The helper functions for one evaluation; `context` (the case data) feeds `instelling`."""
    context = context if context is not None else {}

    def werkdagen_voor(datum, n):
        return _iso(kalender.werkdagen_voor(_dag(datum), _aantal(n, "n", maximum=MAX_WERKDAGEN)))

    def werkdagen_na(datum, n):
        return _iso(kalender.werkdagen_na(_dag(datum), _aantal(n, "n", maximum=MAX_WERKDAGEN)))

    def weken_voor(datum, n):
        n = _aantal(n, "n", maximum=MAX_WEKEN)
        return _iso(kalender.vorige_werkdag(_dag(datum) - timedelta(weeks=n)))

    def dagen_na(datum, n):
        n = _aantal(n, "n", minimum=-MAX_DAGEN, maximum=MAX_DAGEN)
        value = _datum_of_moment(datum)
        if isinstance(value, datetime):
            local = value.astimezone(TZ)
            return _iso_moment(datetime.combine(local.date() + timedelta(days=n), local.time(), TZ))
        return _iso(value + timedelta(days=n))

    def einde_dag(datum):
        return _iso_moment(datetime.combine(_dag(datum), time(23, 59, 59), TZ))

    def om(datum, tijd):
        m = _HH_MM.fullmatch(tijd) if isinstance(tijd, str) else None
        if not m:
            raise ExpressieFout(f"om(): tijd moet 'UU:MM' zijn (bijvoorbeeld '09:30'), niet {tijd!r}")
        return _iso_moment(datetime.combine(_dag(datum), time(int(m[1]), int(m[2])), TZ))

    def minuten_voor(datum_tijd, n):
        n = _aantal(n, "n", minimum=-MAX_MINUTEN, maximum=MAX_MINUTEN)
        # Real elapsed minutes: across a DST change the local clock time shifts, the instant is right.
        return _iso_moment(_moment(datum_tijd) - timedelta(minutes=n))

    def leeftijd_op(geboortedatum, datum):
        return _leeftijd(_dag(geboortedatum), _dag(datum))

    def jongste_leeftijd_op(jeugdigen, datum):
        leeftijden = _leeftijden(jeugdigen, _dag(datum))
        return min(leeftijden) if leeftijden else None

    def oudste_leeftijd_op(jeugdigen, datum):
        leeftijden = _leeftijden(jeugdigen, _dag(datum))
        return max(leeftijden) if leeftijden else None

    def achttiende_verjaardag(geboortedatum):
        return _iso(_verjaardag(_dag(geboortedatum), 18))

    def vandaag():
        return _iso(clock.current().now().astimezone(TZ).date())

    def nu():
        return _iso_moment(clock.current().now())

    def instelling(naam):
        instellingen = context.get("instellingen")
        if not isinstance(instellingen, Mapping):
            raise ExpressieFout("deze zaak heeft geen instellingen (parameters.json is niet meegekopieerd)")
        if naam not in instellingen:
            bekend = ", ".join(sorted(map(str, instellingen))) or "geen"
            raise ExpressieFout(f"onbekende instelling {naam!r}; bekend zijn: {bekend}")
        return instellingen[naam]

    def vk_zonder_email(lijst):
        # Reads the case data itself: a list that was never filled in simply adds nobody.
        from app.engine.vk_ontvangers import vk_ontvangers, zonder_email

        return zonder_email(vk_ontvangers(context, str(lijst)))

    def gekozen(naam):
        # The person chosen in a people picker (a `..._gebruiker` variable; the first of a
        # `..._gebruikers` list), or None when nobody was chosen: the step is then offered to the role.
        naam = str(naam)
        if not (naam.endswith("_gebruiker") or naam.endswith("_gebruikers")):
            raise ExpressieFout(f"gekozen() leest een ..._gebruiker(s)-gegeven, niet {naam!r}")
        value = context.get(naam)
        if isinstance(value, list):
            value = value[0] if value else None
        return value if isinstance(value, str) and value else None

    return {
        "gekozen": gekozen,
        "werkdagen_voor": werkdagen_voor, "werkdagen_na": werkdagen_na, "weken_voor": weken_voor,
        "dagen_na": dagen_na, "einde_dag": einde_dag, "om": om, "minuten_voor": minuten_voor,
        "leeftijd_op": leeftijd_op, "jongste_leeftijd_op": jongste_leeftijd_op,
        "oudste_leeftijd_op": oudste_leeftijd_op, "achttiende_verjaardag": achttiende_verjaardag,
        "vandaag": vandaag, "nu": nu, "instelling": instelling, "vk_zonder_email": vk_zonder_email,
    }


# --- reading values -----------------------------------------------------------------------------

def _datum_of_moment(value) -> date | datetime:
    """A `date` for a day ('2026-04-28'), an aware `datetime` for a moment."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=TZ)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ExpressieFout(f"ongeldige datum {value!r}: verwacht 'JJJJ-MM-DD' of een ISO-datum/tijd") from None
        # A moment without offset is Dutch local time: that is what a form or a modeler means.
        return moment if moment.tzinfo else moment.replace(tzinfo=TZ)
    if value is None:
        raise ExpressieFout("geen datum (de waarde is None: is dit gegeven al ingevuld?)")
    raise ExpressieFout(f"verwacht een datum, niet {value!r}")


def _dag(value) -> date:
    value = _datum_of_moment(value)
    return value.astimezone(TZ).date() if isinstance(value, datetime) else value


def _moment(value) -> datetime:
    value = _datum_of_moment(value)
    # A bare day as a moment: the start of that day, local time.
    return value if isinstance(value, datetime) else datetime.combine(value, time(0, 0), TZ)


def _aantal(n, naam: str, minimum: int = 0, maximum: int = MAX_WERKDAGEN) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ExpressieFout(f"{naam} moet een geheel getal zijn, niet {n!r}")
    if not minimum <= n <= maximum:
        raise ExpressieFout(f"{naam} moet tussen {minimum} en {maximum} liggen, niet {n}")
    return n


# --- computing and writing ----------------------------------------------------------------------

def _verjaardag(geboren: date, jaren: int) -> date:
    try:
        return geboren.replace(year=geboren.year + jaren)
    except ValueError:  # 29 February in a non-leap year: see the module docstring
        return date(geboren.year + jaren, 3, 1)


def _leeftijd(geboren: date, op: date) -> int:
    # Tuple comparison puts (2, 29) after (2, 28): a 29 February birthday counts from 1 March.
    return op.year - geboren.year - ((op.month, op.day) < (geboren.month, geboren.day))


def _leeftijden(jeugdigen, op: date) -> list[int]:
    if not isinstance(jeugdigen, (list, tuple)):
        raise ExpressieFout(f"verwacht een lijst van jeugdigen, niet {jeugdigen!r}")
    leeftijden = []
    for nummer, jeugdige in enumerate(jeugdigen, start=1):
        geboortedatum = jeugdige.get("geboortedatum") if isinstance(jeugdige, Mapping) else jeugdige
        if geboortedatum is None:
            raise ExpressieFout(f"jeugdige {nummer} heeft geen geboortedatum")
        leeftijden.append(_leeftijd(_dag(geboortedatum), op))
    return leeftijden


def _iso(d: date) -> str:
    return d.isoformat()


def _iso_moment(moment: datetime) -> str:
    # Via UTC so that a local time in a DST gap (02:30 on the last Sunday of March) becomes the real
    # instant, written with the offset that is in force then.
    local = moment.astimezone(timezone.utc).astimezone(TZ)
    return local.isoformat(timespec="seconds")
