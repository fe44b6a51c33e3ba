"""Retention: a closed case is kept for the term (default 20 years after its end, the Jeugdwet
term; VHT_BEWAARTERMIJN_JAREN) and then destroyed on a beheerder's word.

Destroying removes every row with personal data of the case (its history, tasks, drafts,
procedures and their engine state, Veiligheidskaart versions, sends and consents, its mail with
attachments, who took part, incidents) and empties the case row. What remains is a tombstone:
the casus row with its reference, gemeente, start and end dates, status 'vernietigd' and when
and by whom. The access log of the case stays (it has its own retention) and gets a row with the
destruction and its reason.

A case closed before the closing date was kept (afgesloten_op empty) counts from its last
'casus_afgesloten' event.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.config import ConfigError
from persistence.models import (
    VernietigingLopend,
    AchttienStart,
    Case,
    CaseMember,
    CaseOrganisation,
    ElementPassage,
    Event,
    HumanTask,
    Incident,
    OutboxAttachment,
    OutboxMessage,
    ProcessInstance,
    TaskDraft,
    TaskFeit,
    VkToestemming,
    VkVersie,
    VkVerzending,
)

from . import access_log, seals
from .context import Context
from .errors import InvalidInput, NotFound

SETTING = "VHT_BEWAARTERMIJN_JAREN"
DEFAULT_YEARS = 20
CLOSED = "afgesloten"
DESTROYED = "vernietigd"
ACCESS_WHAT = "vernietiging na bewaartermijn"
ACCESS_PURPOSE = "technisch_beheer"  # access_log.REASONS


def term_years() -> int:
    value = os.environ.get(SETTING, "").strip()
    if not value:
        return DEFAULT_YEARS
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{SETTING} moet een geheel aantal jaren van minstens 1 zijn, niet '{value}'.")
    return int(value)


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year without one
        return moment.replace(year=moment.year + years, day=28)


@dataclass(frozen=True)
class DueCase:
    case_id: int
    referentie: str
    gemeente: str | None
    gesloten_op: datetime
    te_vernietigen_sinds: datetime


def _closed_cases(session: Session) -> list[tuple[Case, datetime]]:
    """Every closed case with the moment it closed."""
    last_closed = (select(Event.case_id, func.max(Event.at).label("at"))
                   .where(Event.type == "casus_afgesloten").group_by(Event.case_id).subquery())
    rows = session.execute(
        select(Case, last_closed.c.at).outerjoin(last_closed, last_closed.c.case_id == Case.id)
        .where(Case.status == CLOSED, Case.vernietigd_op.is_(None)).order_by(Case.id)).all()
    return [(case, case.afgesloten_op or at) for case, at in rows if case.afgesloten_op or at]


def due(session: Session, now: datetime, years: int | None = None) -> list[DueCase]:
    """The closed cases whose term has passed at `now`, longest due first."""
    years = term_years() if years is None else years
    found = []
    for case, closed in _closed_cases(session):
        since = add_years(closed, years)
        if since <= now:
            found.append(DueCase(case.id, case.referentie, case.gemeente, closed, since))
    return sorted(found, key=lambda d: (d.te_vernietigen_sinds, d.case_id))


def _delete_events(session: Session, case_ids: list[int]) -> None:
    """The event log refuses deletes (a trigger); destruction at the end of the term is the one
    lawful exception. The trigger lets the events of a case through while the case is named in
    vernietiging_lopend (migration 0011), which this transaction fills and empties again: no DDL,
    no lock on the whole table, nothing a table owner's rights are needed for."""
    session.execute(insert(VernietigingLopend), [{"case_id": case_id} for case_id in case_ids])
    session.execute(delete(Event).where(Event.case_id.in_(case_ids)))
    session.execute(delete(VernietigingLopend).where(VernietigingLopend.case_id.in_(case_ids)))


def _remove_personal_data(session: Session, case_ids: list[int]) -> None:
    """Children before parents (foreign keys)."""
    task_ids = select(HumanTask.id).where(HumanTask.case_id.in_(case_ids))
    message_ids = select(OutboxMessage.id).where(OutboxMessage.case_id.in_(case_ids))
    send_ids = select(VkVerzending.id).where(VkVerzending.case_id.in_(case_ids))
    for statement in (
        delete(TaskDraft).where(TaskDraft.human_task_id.in_(task_ids)),
        delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(message_ids)
                                       | OutboxAttachment.vk_verzending_id.in_(send_ids)),
        delete(OutboxMessage).where(OutboxMessage.case_id.in_(case_ids)),
        delete(VkVerzending).where(VkVerzending.case_id.in_(case_ids)),
        delete(VkVersie).where(VkVersie.case_id.in_(case_ids)),
        delete(VkToestemming).where(VkToestemming.case_id.in_(case_ids)),
        delete(HumanTask).where(HumanTask.case_id.in_(case_ids)),
        delete(ElementPassage).where(ElementPassage.case_id.in_(case_ids)),
        delete(TaskFeit).where(TaskFeit.case_id.in_(case_ids)),
        delete(AchttienStart).where(AchttienStart.case_id.in_(case_ids)),
        delete(Incident).where(Incident.case_id.in_(case_ids)),
        delete(CaseMember).where(CaseMember.case_id.in_(case_ids)),
        delete(CaseOrganisation).where(CaseOrganisation.case_id.in_(case_ids)),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
    _delete_events(session, case_ids)
    session.execute(delete(ProcessInstance).where(ProcessInstance.case_id.in_(case_ids))
                    .execution_options(synchronize_session=False))


def destroy(ctx: Context, session: Session, case_ids: list[int] | None, reden: str, door: str) -> list[DueCase]:
    """Destroy the given due cases (None: every due case); a case that is not due is refused. The
    reason goes into the access log, which outlives the case (the tombstone has no room for it)."""
    now = ctx.now()
    if not (reden or "").strip():
        raise InvalidInput("Geef een reden op voor het vernietigen.", {"reden": ["Geef een reden op."]})
    due_now = {d.case_id: d for d in due(session, now)}
    if case_ids is None:
        chosen = list(due_now.values())
    else:
        missing = [i for i in case_ids if i not in due_now]
        if missing:
            raise NotFound("Casus " + ", ".join(map(str, missing)) + " is (nog) niet te vernietigen: niet afgesloten, "
                           "al vernietigd of de bewaartermijn is nog niet verstreken.")
        chosen = [due_now[i] for i in case_ids]
    if not chosen:
        return []
    ids = [d.case_id for d in chosen]
    _remove_personal_data(session, ids)
    for item in chosen:
        case = session.get(Case, item.case_id)
        case.afgesloten_op = item.gesloten_op
        case.inbrenger = case.jeugdige_initialen = case.maatregel = None
        case.einde_maatregel = case.cab_datum = None
        case.gegevens, case.signalen = {}, None
        case.status, case.vernietigd_op, case.vernietigd_door = DESTROYED, now, door
        seals.touch(session, case.id)  # the tombstone is sealed at the commit
    access_log.record(ctx, session, door, ids, ACCESS_WHAT, None, None, doel=ACCESS_PURPOSE, toelichting=reden)
    return chosen
