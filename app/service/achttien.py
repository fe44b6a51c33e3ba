"""18-/18+: the product starts the VeiligheidsTeam's bespreking itself (DOMAIN G17).

"Stopt de OTS omdát een jongere 18 wordt? Dan is bespreking in het VeiligheidsTeam altijd nodig"
(and for voogdij unless the care after 18 is arranged). The worker checks once a day: for each
jeugdige of a running OTS or voogdij case who turns 18 within the window (regional choice
`p6_venster_maanden`, default 6) it starts P6 in that case, with that jeugdige. Exactly once per
jeugdige: the row in `achttien_start` (primary key case + jeugdige) is written in the same
transaction as the start, so a second round or a second worker that gets there too fails on the
key and starts nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.engine.clock import TZ
from persistence.models import AchttienStart, Case, User

from . import incidents
from .cases import start_instance
from .context import Context
from .errors import ProcessFailed
from .events import SYSTEM
from .instances import version_for_start

PROCESS = "p6_achttien_min_plus"
MAATREGELEN = ("ots", "voogdij")
STANDAARD_VENSTER_MAANDEN = 6


@dataclass(frozen=True)
class Started:
    case_id: int
    jeugdige: str
    instance_id: int


def _months_later(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def eighteenth(born: date) -> date:
    try:
        return born.replace(year=born.year + 18)
    except ValueError:  # born on 29 February: 1 March
        return date(born.year + 18, 3, 1)


def key(jeugdige: dict) -> str:
    return f"{str(jeugdige.get('naam') or '').strip().casefold()}|{jeugdige.get('geboortedatum')}"[:300]


def due(case: Case, today: date, months: int) -> list[dict]:
    """The jeugdigen of the case who turn 18 between today and the end of the window."""
    limit = _months_later(today, months)
    found = []
    for jeugdige in (case.gegevens or {}).get("jeugdigen") or []:
        try:
            born = date.fromisoformat(str(jeugdige.get("geboortedatum")))
        except (TypeError, ValueError):
            continue
        if today <= eighteenth(born) <= limit:
            found.append(jeugdige)
    return found


def start_due(ctx: Context) -> list[Started]:
    """Start P6 for every jeugdige that is due and has none yet; one transaction per start."""
    now = ctx.now()
    today = now.astimezone(TZ).date()
    with ctx.transaction() as session:
        version = version_for_start(session, PROCESS)
        if version is None:
            return []
        # The window of the version the new P6 cases start on (a deployed regional choice).
        months = int(ctx.bundle_of(session, version).parameters.get("p6_venster_maanden", STANDAARD_VENSTER_MAANDEN))
        cases = session.scalars(select(Case).where(
            Case.maatregel.in_(MAATREGELEN), Case.status != "afgesloten",
            or_(Case.einde_maatregel.is_(None), Case.einde_maatregel >= today))).all()
        started_keys = {(row.case_id, row.jeugdige) for row in session.scalars(
            select(AchttienStart).where(AchttienStart.case_id.in_([c.id for c in cases] or [0])))}
        todo = [(case.id, jeugdige) for case in cases for jeugdige in due(case, today, months)
                if (case.id, key(jeugdige)) not in started_keys]
    started = []
    for case_id, jeugdige in todo:
        try:
            # A start the engine refuses: an incident for the beheerder; the other jeugdigen go on.
            with incidents.recorded(ctx, "start", incidents.WORKER), ctx.transaction() as session:
                row = AchttienStart(case_id=case_id, jeugdige=key(jeugdige), gestart_op=ctx.now())
                session.add(row)
                session.flush()  # a second worker at the same moment stops here (primary key)
                case = session.get(Case, case_id)
                values = {**(case.gegevens or {}), "maatregel": case.maatregel, "jeugdigen": [jeugdige],
                          "gi_gebruiker": _gi_of(session, case)}
                instance = start_instance(ctx, session, case, version_for_start(session, PROCESS), values, SYSTEM)
                row.instance_id = instance.id
                started.append(Started(case_id, row.jeugdige, instance.id))
        except IntegrityError:
            continue  # started by another worker meanwhile
        except ProcessFailed:
            continue  # recorded as an incident (tried again at the next daily check)
    return started


def note_started(session, case_id: int, jeugdigen: list[dict], instance_id: int, when) -> None:
    """A P6 a professional started for these jeugdigen counts as their bespreking."""
    for jeugdige in jeugdigen:
        if session.get(AchttienStart, (case_id, key(jeugdige))) is None:
            session.add(AchttienStart(case_id=case_id, jeugdige=key(jeugdige), instance_id=instance_id,
                                      gestart_op=when))


def _gi_of(session, case: Case) -> str | None:
    """The case's GI casusregisseur: the one chosen, else its inbrenger when that is a GI user."""
    chosen = (case.gegevens or {}).get("gi_gebruiker")
    if chosen:
        return chosen
    inbrenger = session.get(User, case.inbrenger or "")
    return inbrenger.username if inbrenger is not None and "gi" in (inbrenger.rollen or []) else None
