"""The invitation letters leave with the mail when the inbrenger completes the invite task.

One mail to the inbrenger (who gives the letters to the family: parents have no account) with the
parents' letter, a letter per jeugdige who has reached the age limit on the date of the
conversation (instelling leeftijdsgrens_jeugdige), and the .ics. A parent whose `contact` is an
e-mail address also gets the parents' letter and the .ics directly.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents import letters
from app.engine.clock import TZ
from persistence.models import Case, Event, User

from . import instances, notifications, pdfs
from .errors import ProcessFailed

log = logging.getLogger("vht.letters")

PROCESS = "sp_gesprek_organiseren"
INVITE_TASKS = {"Task_OudersUitnodigen", "Task_OudersEnJeugdigeUitnodigen"}
DATA_EVENTS = ("instance_started", "task_completed", "message_delivered")


def case_data(ctx, session: Session, instance) -> dict:
    """The top-level data of the case plus what every act of this instance submitted, in order
    (so the sub-process' gesprek_datum, deelnemers and locatie are there; a later value wins)."""
    try:
        data = dict(instances.load_run(ctx, instance).data or {})
    except Exception:  # noqa: BLE001 - the events below hold the same data
        log.exception("engine data of instance %s not readable; using the history only", instance.id)
        data = {}
    rows = session.scalars(select(Event).where(Event.instance_id == instance.id, Event.type.in_(DATA_EVENTS))
                           .order_by(Event.seq)).all()
    for row in rows:
        submitted = (row.data or {}).get("data")
        if isinstance(submitted, dict):
            data.update(submitted)
    return data


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "jeugdige"


def build(ctx, session: Session, case: Case, data: dict, invite_data: dict):
    """(invitation, attachments, parent e-mail addresses) for one completed invite task."""
    user = session.scalars(select(User).where(User.username == case.inbrenger)).first() if case.inbrenger else None
    inbrenger = {"naam": user.naam if user else (case.inbrenger or ""), "email": user.email if user else ""}
    today = ctx.now().astimezone(TZ).date()
    inv = letters.Invitation.from_case_data(
        {**data, **invite_data}, referentie=case.referentie, gemeente=case.gemeente, inbrenger=inbrenger, today=today,
        jeugdige_uitgenodigd=invite_data.get("jeugdige_uitgenodigd", True) is not False)
    # The HTML now (and a template error stops the act); the PDFs are made after the commit.
    files = [("uitnodiging_ouders.pdf", "application/pdf", pdfs.PdfLater(letters.letter_ouders(inv), pdfs.LETTERS))]
    for jeugdige in inv.jeugdigen:
        name = f"uitnodiging_jeugdige_{_slug(jeugdige.get('naam') or '')}.pdf"
        files.append((name, "application/pdf", pdfs.PdfLater(letters.letter_jeugdige(inv, jeugdige), pdfs.LETTERS)))
    ouder_mails = sorted({o["contact"].strip() for o in inv.ouders if letters.looks_like_email(o.get("contact"))})
    return inv, files, ouder_mails


def after_act(ctx, session: Session, instance, event, outgoing) -> None:
    if event.type != "task_completed" or event.task_bpmn_id not in INVITE_TASKS:
        return
    if (event.data or {}).get("process_id") != PROCESS:
        return
    case = session.get(Case, instance.case_id)
    data = case_data(ctx, session, instance)
    invite_data = (event.data or {}).get("data") or {}
    if not data.get("gesprek_datum"):
        log.warning("case %s: invite task completed without gesprek_datum; no letters", case.id)
        return
    try:
        inv, files, ouder_mails = build(ctx, session, case, data, invite_data)
    except letters.LetterError as exc:  # the act fails as a whole: no task done without its letters
        raise ProcessFailed(str(exc)) from None
    uid = f"gesprek-{case.referentie}-{letters.moment(data['gesprek_datum']).astimezone(TZ):%Y%m%dT%H%M}" \
          f"@veiligheidsteam.local"
    now = ctx.now()
    calendar = ("uitnodiging.ics", "text/calendar",
                letters.invitation_ics(inv, uid=uid, dtstamp=now, attendees=ouder_mails))
    gesprek = inv.context()["gesprek"]
    when = f"{gesprek['datum']} om {gesprek['tijd']} uur"
    jeugdigen = ", ".join(j.get("naam", "") for j in inv.jeugdigen)
    body = (f"De uitnodigingen voor het interventiegesprek van {when} ({inv.locatie}) staan in de bijlagen:\n"
            f"- de brief voor de ouders (uitnodiging_ouders.pdf)\n"
            + (f"- de brief voor {jeugdigen} (8 jaar of ouder op de gespreksdatum)\n" if inv.jeugdigen
               else "- geen brief voor een jeugdige: geen jeugdige heeft op de gespreksdatum de leeftijdsgrens bereikt"
               " of de jeugdige is niet uitgenodigd\n")
            + "- een agenda-uitnodiging (uitnodiging.ics)\n\n"
            + "Geef de brieven aan de ouders en de jeugdige, of stuur ze door."
            + (f"\nDe brief voor de ouders is ook rechtstreeks gemaild naar: {', '.join(ouder_mails)}." if ouder_mails
               else ""))
    subject = f"Uitnodigingen voor het gesprek van {when} (casus {case.referentie})"
    inbrenger_mail = notifications._user_emails(session, [case.inbrenger])
    footer = notifications._footer(case, ctx.base_url)
    notifications.queue_mail(session, case, f"{case.id}:{event.seq}:uitnodiging", "uitnodiging", inbrenger_mail,
                             subject, body + footer, now, [*files, calendar])
    for index, address in enumerate(ouder_mails):
        ouder_body = (f"Beste ouder,\n\nIn de bijlage vindt u de uitnodiging voor een gesprek op {when}, "
                      f"{inv.locatie}{', ' + inv.ruimte if inv.ruimte else ''}.\nU mag een vertrouwenspersoon "
                      f"meebrengen. Vragen? Neem contact op met {inv.inbrenger.get('naam')}"
                      f"{' (' + inv.inbrenger['email'] + ')' if inv.inbrenger.get('email') else ''}.\n\n"
                      "Met vriendelijke groet,\nhet VeiligheidsTeam")
        notifications.queue_mail(session, case, f"{case.id}:{event.seq}:uitnodiging:ouder:{index}",
                                 "uitnodiging_ouders", [address], f"Uitnodiging voor een gesprek op {when}",
                                 ouder_body, now, [files[0], calendar])


if after_act not in instances.AFTER_ACT:
    instances.AFTER_ACT.append(after_act)
