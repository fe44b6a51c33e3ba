"""Which mails an act causes, and to whom. Written to the outbox in the act's own transaction.

- a send task of a procedure (the Veiligheidskaart to the RvdK, the definitive card to the
  participants, the card after the conversation, the card to the toegang, the RvdK informed);
- a soft deadline that passed (escalation): the owners of the case's open tasks and the inbrenger;
- a task that lands in someone's own inbox: that person.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from persistence.models import Case, HumanTask, OutboxAttachment, OutboxMessage, User

from . import pdfs

ESCALATIONS = {
    "streeftermijn_overschreden": "het interventiegesprek is niet binnen de streeftermijn van twee weken gevoerd",
    "vk_te_laat": "de definitieve Veiligheidskaart is niet uiterlijk drie werkdagen voor het gesprek verstuurd",
    "herinnering_rvdk": "de RvdK heeft de toets op aansluiten nog niet afgerond",
    "advies_verwerken_te_laat": "het advies is nog niet in de Veiligheidskaart verwerkt",
    "termijn_overschreden": "een stap van de procedure is niet op tijd afgerond",
}

# Files that go with a send task's mail:
# {message name: fn(session, case, payload, now) -> [(name, type, bytes or pdfs.PdfLater)]}.
# Filled by the modules that make documents (the Veiligheidskaart, letters). None: send nothing.
ATTACHMENTS: dict = {}

MESSAGES = {
    "vk_naar_rvdk": "Aangevulde Veiligheidskaart voor toetsing (casus {ref})",
    "rvdk_voornemen_afsluiten": "Voornemen tot afsluiten van de OTS (casus {ref})",
    "vk_definitief_verzonden": "Definitieve Veiligheidskaart voor het gesprek (casus {ref})",
    "vk_na_gesprek_verzonden": "Veiligheidskaart na het gesprek (casus {ref})",
    "vk_naar_toegang": "Veiligheidskaart bij de overdracht aan de toegang (casus {ref})",
}


def describe_escalation(item: dict) -> str:
    code = item.get("code") or item.get("name") or ""
    return ESCALATIONS.get(code, code.replace("_", " "))


def _emails(items) -> list[str]:
    return [item["email"].strip() for item in items or [] if isinstance(item, dict) and item.get("email")]


def _user_emails(session: Session, usernames) -> list[str]:
    names = {u for u in usernames if u}
    if not names:
        return []
    return [u.email for u in session.scalars(select(User).where(User.username.in_(names))) if u.email]


def _recipients_for_message(session: Session, case: Case, name: str, payload: dict) -> list[str]:
    settings = payload.get("instellingen") or {}
    inbrenger = _user_emails(session, [case.inbrenger])
    if name in ("vk_naar_rvdk", "rvdk_voornemen_afsluiten"):
        return [settings.get("rvdk_mailbox") or "regionaalveiligheidsteam-WBW@rvdk.nl"]
    if name == "vk_definitief_verzonden":
        return _emails(payload.get("verzendlijst_definitieve_vk")) + inbrenger
    if name == "vk_na_gesprek_verzonden":
        return _emails(payload.get("verzendlijst_na_gesprek")) + inbrenger
    if name == "vk_naar_toegang":
        toegang = [u for u in session.scalars(select(User).where(User.actief.is_(True)))
                   if "toegang" in (u.rollen or []) and u.email]
        local = [u.email for u in toegang if u.gemeente == case.gemeente]
        return local or [u.email for u in toegang]
    return inbrenger


def queue_mail(session: Session, case: Case, key: str, reason: str, recipients, subject: str, body: str, now,
               attachments: list[tuple[str, str, bytes | pdfs.PdfLater]] = ()) -> OutboxMessage | None:
    """One outgoing mail (with its files) in the current transaction; None when nobody to send to.
    A file given as PdfLater gets its bytes right after the commit (pdfs.py)."""
    unique = sorted({r for r in recipients if r})
    if not unique:
        return None
    message = OutboxMessage(
        case_id=case.id, dedup_key=key, reason=reason, recipients=unique, subject=subject[:300], body=body,
        status="pending", attempts=0, next_attempt_at=now, created_at=now,
    )
    session.add(message)
    session.flush()
    for filename, content_type, data in attachments:
        if isinstance(data, pdfs.PdfLater):
            pdfs.attach(session, message.id, filename, content_type, data)
        else:
            session.add(OutboxAttachment(message_id=message.id, filename=filename, content_type=content_type,
                                         data=data))
    return message





def _footer(case: Case, base_url: str) -> str:
    return (f"\n\nCasus {case.referentie} ({case.gemeente or '-'}, {case.jeugdige_initialen or '-'}).\n"
            f"Open de casus: {base_url}/casussen/{case.id}\n\n"
            "Dit bericht is verstuurd door de werkwijze-applicatie van het VeiligheidsTeam.")


def enqueue(session: Session, case_id: int, event_seq: int, outgoing: list[dict], new_tasks: list[dict],
            now: datetime, base_url: str) -> None:
    case = session.get(Case, case_id)
    for index, item in enumerate(outgoing):
        key = f"{case_id}:{event_seq}:{index}"
        if item["kind"] == "message" and item["name"] in MESSAGES:
            subject = MESSAGES[item["name"]].format(ref=case.referentie)
            recipients = _recipients_for_message(session, case, item["name"], item.get("payload") or {})
            body = (f"{subject}.\n\nDe Veiligheidskaart staat in de casus; wie geen account heeft, ontvangt haar "
                    "via de inbrenger.")
            files = ATTACHMENTS[item["name"]](session, case, item.get("payload") or {}, now) \
                if item["name"] in ATTACHMENTS else []
            if files is None:  # the document may not be shared (e.g. no consent): no mail
                continue
            queue_mail(session, case, key, item["name"], recipients, subject, body + _footer(case, base_url), now, files)
        elif item["kind"] == "escalation":
            code = item.get("code") or item.get("name") or ""
            what = describe_escalation(item)
            open_tasks = session.scalars(
                select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "open")).all()
            owners = [t.assignee for t in open_tasks] + [case.inbrenger]
            lines = "\n".join(
                f"- {t.name}" + (f" (deadline {t.due_at.astimezone(TZ):%d-%m-%Y %H:%M})" if t.due_at else "")
                for t in open_tasks)
            body = f"Let op: {what}.\n\nOpen taken in deze casus:\n{lines or '- geen'}"
            queue_mail(session, case, key, f"termijn:{code}", _user_emails(session, owners),
                 f"Termijn verstreken in casus {case.referentie}", body + _footer(case, base_url), now)
    for task in new_tasks:
        if not task.get("assignee"):
            continue
        due = task.get("due_at")
        body = (f"Er staat een nieuwe taak voor u klaar: {task['name']}."
                + (f"\nDeadline: {due.astimezone(TZ):%d-%m-%Y %H:%M}." if due else ""))
        queue_mail(session, case, f"{case_id}:{event_seq}:taak:{task['spiff_task_id']}", "nieuwe_taak",
             _user_emails(session, [task["assignee"]]), f"Nieuwe taak: {task['name']} (casus {case.referentie})",
             body + _footer(case, base_url), now)
