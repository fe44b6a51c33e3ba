"""The invitation letters leave with the mail when the inbrenger completes the invite task.

One mail to the inbrenger (who gives the letters to the family: parents have no account) with the
parents' letter, a letter per jeugdige who has reached the age limit on the date of the
conversation (instelling leeftijdsgrens_jeugdige), and the .ics. A parent whose `contact` is an
e-mail address also gets the parents' letter and the .ics directly. In P4 the parents' letter
says that the RvdK is involved.

Corrected invitations, for engineer B's "moment wijzigen" and rescheduling:

    send_corrected_invitations(ctx, session, instance, event, vorige_datum: str) -> bool

sends the same people as the original invitation the letters marked "gewijzigd" with the old
and the new date, and an .ics with the same UID and a higher SEQUENCE (calendars move the event).
It needs no call of its own: the AFTER_ACT hook below calls it for every completed task that
records a new `gesprek_datum` after the invitations went out (except *Moment plannen*, whose new
date the invite task that follows sends, also marked "gewijzigd").
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
PLAN_TASK = "Task_MomentPlannen"
P4 = "p4_interventiegesprek_rvdk"
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


def build(ctx, session: Session, case: Case, data: dict, invite_data: dict, *, rvdk_betrokken: bool = False,
          vorig_moment: str | None = None, templates=None):
    """(invitation, attachments, parent e-mail addresses) for one completed invite task (or its correction)."""
    user = session.scalars(select(User).where(User.username == case.inbrenger)).first() if case.inbrenger else None
    inbrenger = {"naam": user.naam if user else (case.inbrenger or ""), "email": user.email if user else ""}
    today = ctx.now().astimezone(TZ).date()
    inv = letters.Invitation.from_case_data(
        {**data, **invite_data}, referentie=case.referentie, gemeente=case.gemeente, inbrenger=inbrenger, today=today,
        jeugdige_uitgenodigd=invite_data.get("jeugdige_niet_uitnodigen") is not True,
        rvdk_betrokken=rvdk_betrokken, vorig_moment=vorig_moment)
    # The HTML now (and a template error stops the act); the PDFs are made after the commit.
    files = [("uitnodiging_ouders.pdf", "application/pdf", pdfs.PdfLater(letters.letter_ouders(inv, templates), pdfs.LETTERS))]
    for jeugdige in inv.jeugdigen:
        name = f"uitnodiging_jeugdige_{_slug(jeugdige.get('naam') or '')}.pdf"
        files.append((name, "application/pdf", pdfs.PdfLater(letters.letter_jeugdige(inv, jeugdige, templates),
                                                                 pdfs.LETTERS)))
    ouder_mails = sorted({o["contact"].strip() for o in inv.ouders if letters.looks_like_email(o.get("contact"))})
    return inv, files, ouder_mails


def _invited_dates(session: Session, instance, before_seq: int) -> list[str]:
    """gesprek_datum of every invitation this instance sent before `before_seq`, in order: an
    invite task, or a later task that moved the date (a correction). From the history alone, so
    a replay or a retried act sees the same."""
    rows = session.scalars(select(Event).where(Event.instance_id == instance.id, Event.type == "task_completed",
                                               Event.seq < before_seq).order_by(Event.seq)).all()
    current, sent = None, []
    for row in rows:
        submitted = (row.data or {}).get("data") or {}
        current = submitted.get("gesprek_datum") or current
        if row.task_bpmn_id in INVITE_TASKS and current:
            sent.append(current)
        elif sent and _moves_date(row, sent[-1]):
            sent.append(current)
    return sent


def _moves_date(event, last_sent: str) -> bool:
    """A completed task that sets another date than the invitations say (not Moment plannen: after it
    the invite task itself sends the changed letters)."""
    new = ((event.data or {}).get("data") or {}).get("gesprek_datum")
    return bool(new) and event.task_bpmn_id != PLAN_TASK and _same_moment(new) != _same_moment(last_sent)


def _same_moment(value: str):
    return letters.moment(value).astimezone(TZ)


def _uid(case: Case, first: str) -> str:
    # The first invitation's moment names the appointment for good: a new date keeps the UID.
    return f"gesprek-{case.referentie}-{letters.moment(first).astimezone(TZ):%Y%m%dT%H%M}@veiligheidsteam.local"


def _rvdk_involved(ctx, instance) -> bool:
    """The conversation is P4's (the RvdK joins): the parents' letter says so."""
    try:
        active = instances.load_run(ctx, instance).active_elements()
    except Exception:  # noqa: BLE001 - without the engine state the letter leaves without the sentence
        log.exception("engine state of instance %s not readable", instance.id)
        return False
    return any(process == P4 for process, _ in active)


def _last_invite_data(session: Session, instance, before_seq: int) -> dict:
    row = session.scalars(select(Event).where(Event.instance_id == instance.id, Event.type == "task_completed",
                                              Event.task_bpmn_id.in_(INVITE_TASKS), Event.seq <= before_seq)
                          .order_by(Event.seq.desc()).limit(1)).first()
    return ((row.data or {}).get("data") or {}) if row is not None else {}


def _send(ctx, session: Session, instance, event, *, invite_data: dict, vorige: str | None, first: str,
          sequence: int) -> None:
    case = session.get(Case, instance.case_id)
    data = case_data(ctx, session, instance)
    # The letters as deployed with this case's version (None: a version from before bundles).
    templates = ctx.bundle_of(session, instance.process_version).letters or None
    try:
        inv, files, ouder_mails = build(ctx, session, case, data, invite_data, rvdk_betrokken=_rvdk_involved(ctx, instance),
                                        vorig_moment=vorige, templates=templates)
    except letters.LetterError as exc:  # the act fails as a whole: no task done without its letters
        raise ProcessFailed(str(exc)) from None
    now = ctx.now()
    calendar = ("uitnodiging.ics", "text/calendar",
                letters.invitation_ics(inv, uid=_uid(case, first), dtstamp=now, attendees=ouder_mails,
                                       sequence=sequence))
    context = inv.context(templates=templates)
    gesprek = context["gesprek"]
    when = f"{gesprek['datum']} om {gesprek['tijd']} uur"
    was = f"{context['wijziging']['datum']} om {context['wijziging']['tijd']} uur" if vorige else ""
    jeugdigen = ", ".join(j.get("naam", "") for j in inv.jeugdigen)
    body = ((f"GEWIJZIGD: het interventiegesprek van {was} is verplaatst naar {when}. Geef de gewijzigde brieven "
             "aan dezelfde mensen als de eerste uitnodiging; zij vervangen die.\n\n" if vorige else "")
            + f"De uitnodigingen voor het interventiegesprek van {when} ({inv.locatie}) staan in de bijlagen:\n"
            f"- de brief voor de ouders (uitnodiging_ouders.pdf)\n"
            + (f"- de brief voor {jeugdigen} (8 jaar of ouder op de gespreksdatum)\n" if inv.jeugdigen
               else "- geen brief voor een jeugdige: geen jeugdige heeft op de gespreksdatum de leeftijdsgrens bereikt"
               " of de regio staat de uitzondering toe en de jeugdige is niet uitgenodigd\n")
            + "- een agenda-uitnodiging (uitnodiging.ics)\n\n"
            + "Geef de brieven aan de ouders en de jeugdige, of stuur ze door."
            + (f"\nDe brief voor de ouders is ook rechtstreeks gemaild naar: {', '.join(ouder_mails)}." if ouder_mails
               else ""))
    kind = "uitnodiging_gewijzigd" if vorige else "uitnodiging"
    subject = (f"Gewijzigde uitnodiging: het gesprek is nu op {when} (casus {case.referentie})" if vorige
               else f"Uitnodigingen voor het gesprek van {when} (casus {case.referentie})")
    inbrenger_mail = notifications._user_emails(session, [case.inbrenger])
    footer = notifications._footer(case, ctx.base_url)
    notifications.queue_mail(session, case, f"{case.id}:{event.seq}:{kind}", kind, inbrenger_mail,
                             subject, body + footer, now, [*files, calendar])
    for index, address in enumerate(ouder_mails):
        ouder_body = ((f"Beste ouder,\n\nHet gesprek van {was} is verplaatst. In de bijlage vindt u de gewijzigde "
                       f"uitnodiging voor het gesprek op {when}, " if vorige else
                       f"Beste ouder,\n\nIn de bijlage vindt u de uitnodiging voor een gesprek op {when}, ")
                      + f"{inv.locatie}{', ' + inv.ruimte if inv.ruimte else ''}.\n"
                      + ("De Raad voor de Kinderbescherming is bij dit gesprek betrokken.\n" if inv.rvdk_betrokken else "")
                      + f"U mag een vertrouwenspersoon meebrengen. Vragen? Neem contact op met {inv.inbrenger.get('naam')}"
                      f"{' (' + inv.inbrenger['email'] + ')' if inv.inbrenger.get('email') else ''}.\n\n"
                      "Met vriendelijke groet,\nhet VeiligheidsTeam")
        notifications.queue_mail(session, case, f"{case.id}:{event.seq}:{kind}:ouder:{index}",
                                 f"{kind}_ouders", [address],
                                 (f"Gewijzigd: het gesprek is nu op {when}" if vorige
                                  else f"Uitnodiging voor een gesprek op {when}"),
                                 ouder_body, now, [files[0], calendar])


def send_corrected_invitations(ctx, session: Session, instance, event, vorige_datum: str) -> bool:
    """The conversation moved from `vorige_datum` to the `gesprek_datum` the case has after `event`:
    the letters marked "gewijzigd" (old and new date) and an updated .ics go to the same people
    as the invitation. False (nothing sent) when no invitation went out before `event`."""
    sent = _invited_dates(session, instance, event.seq)
    if not sent:
        return False
    _send(ctx, session, instance, event, invite_data=_last_invite_data(session, instance, event.seq),
          vorige=vorige_datum, first=sent[0], sequence=len(sent))
    return True


def after_act(ctx, session: Session, instance, event, outgoing) -> None:
    if event.type != "task_completed":
        return
    submitted = (event.data or {}).get("data") or {}
    is_invite = event.task_bpmn_id in INVITE_TASKS and (event.data or {}).get("process_id") == PROCESS
    if not is_invite and not submitted.get("gesprek_datum"):
        return
    sent = _invited_dates(session, instance, event.seq)
    if is_invite:
        data = case_data(ctx, session, instance)
        if not data.get("gesprek_datum"):
            log.warning("case %s: invite task completed without gesprek_datum; no letters", instance.case_id)
            return
        # Invited before (the conversation was planned again): the same appointment, "gewijzigd".
        vorige = sent[-1] if sent and _same_moment(sent[-1]) != _same_moment(data["gesprek_datum"]) else None
        _send(ctx, session, instance, event, invite_data=submitted, vorige=vorige,
              first=sent[0] if sent else data["gesprek_datum"], sequence=len(sent))
    elif sent and _moves_date(event, sent[-1]):
        send_corrected_invitations(ctx, session, instance, event, sent[-1])


if after_act not in instances.AFTER_ACT:
    instances.AFTER_ACT.append(after_act)
