"""Which mails an act causes, and to whom. Written to the outbox in the act's own transaction.

- a send task of a procedure (the Veiligheidskaart to the RvdK, the definitive card to the
  participants, the card after the conversation, the card to the toegang, the RvdK informed, the
  chair told that the parents did not react);
- a soft deadline that passed (escalation): the owners of the case's open tasks and the inbrenger;
- a task that lands in someone's own inbox: that person.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from app.engine.vk_ontvangers import email_of_none, vk_ontvangers, zonder_email
from persistence.models import Case, HumanTask, OutboxAttachment, OutboxMessage, User

from . import pdfs, people
from .writes import insert_rows

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
    "reactie_ouders_niet_ontvangen": "Reactie van ouders op de Veiligheidskaart niet ontvangen (casus {ref})",
}

# A text of its own for the mails that are not just "here is the card".
BODIES = {
    "reactie_ouders_niet_ontvangen": (
        "De ouders hebben vóór de verzenddag niet gereageerd op de Veiligheidskaart. In de Veiligheidskaart "
        "staat nu \"reactie ouders niet ontvangen\" met de datum, en de inbrenger verstuurt vandaag de "
        "definitieve kaart. U ontvangt dit bericht als voorzitter van het gesprek (of als inbrenger).\n\n"
        "Komt de reactie later alsnog binnen, dan wordt die vastgelegd als nieuwe versie van de kaart en "
        "opnieuw verstuurd aan dezelfde ontvangers en aan de voorzitter."),
}

# The cards that go to the parents and every participant, and the form list that adds people.
CARD_LISTS = {
    "vk_definitief_verzonden": "verzendlijst_definitieve_vk",
    "vk_na_gesprek_verzonden": "verzendlijst_na_gesprek",
}
NOT_BY_MAIL = "niet per mail: via de inbrenger"


_OUTBOX = OutboxMessage.__table__


def describe_escalation(item: dict) -> str:
    code = item.get("code") or item.get("name") or ""
    return ESCALATIONS.get(code, code.replace("_", " "))


def _user_emails(session: Session, usernames) -> list[str]:
    """Their addresses in the order given (the database returns rows in no fixed order: PostgreSQL
    after an update of a row, SQLite not), each user once."""
    names = list(dict.fromkeys(u for u in usernames if u))
    if not names:
        return []
    # An act often mails the same people several times (the inbrenger): each address read once
    # per transaction.
    known = session.info.setdefault("user_emails", {})
    missing = [n for n in names if n not in known]
    if missing:
        found = dict(session.execute(select(User.username, User.email).where(User.username.in_(missing))).all())
        known.update({n: found.get(n) for n in missing})
    return [known[n] for n in names if known.get(n)]


def card_recipients(session: Session, case: Case, data: dict, lijst: str) -> tuple[list[str], list[str]]:
    """(addresses, 'Naam (rol)' of those the inbrenger hands the card to) for a card that goes to
    the parents and every participant (app/engine/vk_ontvangers.py); the inbrenger always gets it.
    The parents come from the case when the step's data lacks them."""
    entries = vk_ontvangers({"ouders": (case.gegevens or {}).get("ouders"), **data}, lijst)
    accounts = {u.username: u.email for u in session.scalars(
        select(User).where(User.username.in_({e["gebruiker"] for e in entries if e["gebruiker"]} or {""})))}
    for entry in entries:  # a participant with an account: the address of the account
        entry["email"] = entry["email"] or email_of_none(accounts.get(entry["gebruiker"]))
        entry["gebruiker"] = None
    return [e["email"] for e in entries if e["email"]] + _user_emails(session, [case.inbrenger]), zonder_email(entries)


def chair_recipients(session: Session, case: Case, data: dict) -> list[str]:
    """The chair of the conversation: the inbrenger when chairing, else the chosen user or the
    chair's own address; the inbrenger (who arranged the chair) always, so nobody is missed."""
    found = _user_emails(session, [case.inbrenger, data.get("voorzitter_gebruiker")])
    if data.get("voorzitter_type") == "onafhankelijk":
        found.append(email_of_none(data.get("voorzitter_contact")))
    return [e for e in found if e]


def _recipients_for_message(session: Session, case: Case, name: str, payload: dict) -> list[str]:
    settings = payload.get("instellingen") or {}
    inbrenger = _user_emails(session, [case.inbrenger])
    if name in ("vk_naar_rvdk", "rvdk_voornemen_afsluiten"):
        return [settings.get("rvdk_mailbox") or "regionaalveiligheidsteam-WBW@rvdk.nl"]
    if name in CARD_LISTS:
        return card_recipients(session, case, payload, CARD_LISTS[name])[0]
    if name == "reactie_ouders_niet_ontvangen":
        return chair_recipients(session, case, payload)
    if name == "vk_naar_toegang":  # never to the toegang of another gemeente (people.py)
        return people.toegang_emails(session, case, payload)
    return inbrenger


def queue_mail(session: Session, case: Case, key: str, reason: str, recipients, subject: str, body: str, now,
               attachments: list[tuple[str, str, bytes | pdfs.PdfLater]] = (), into: list[dict] | None = None) -> None:
    """One outgoing mail (with its files) in the current transaction; nothing when nobody to send to.
    A file given as PdfLater gets its bytes right after the commit (pdfs.py). `into`: a mail without
    files is added to this list for the caller to insert with the others (write_mails), in order."""
    unique = sorted({r for r in recipients if r})
    if not unique:
        return
    row = dict(case_id=case.id, dedup_key=key, reason=reason, recipients=unique, subject=subject[:300], body=body,
               status="pending", attempts=0, next_attempt_at=now, created_at=now)
    if not attachments:  # most mails: a plain INSERT (an act may queue several; a flush each cost more)
        if into is not None:
            into.append(row)
        else:
            insert_rows(session, _OUTBOX, [row])
        return
    write_mails(session, into)  # the mails before this one keep their place in the outbox
    message = OutboxMessage(**row)
    session.add(message)
    session.flush()
    for filename, content_type, data in attachments:
        if isinstance(data, pdfs.PdfLater):
            pdfs.attach(session, message.id, filename, content_type, data)
        else:
            session.add(OutboxAttachment(message_id=message.id, filename=filename, content_type=content_type,
                                         data=data))


def write_mails(session: Session, rows: list[dict] | None) -> None:
    """The mails queue_mail gathered `into` a list: one INSERT for all (an act often mails several)."""
    if rows:
        insert_rows(session, _OUTBOX, rows)
        rows.clear()


def _footer(case: Case, base_url: str) -> str:
    return (f"\n\nCasus {case.referentie} ({case.gemeente or '-'}, {case.jeugdige_initialen or '-'}).\n"
            f"Open de casus: {base_url}/casussen/{case.id}\n\n"
            "Dit bericht is verstuurd door de werkwijze-applicatie van het VeiligheidsTeam.")


def enqueue(session: Session, case_id: int, event_seq: int, outgoing: list[dict], new_tasks: list[dict],
            now: datetime, base_url: str) -> None:
    case = session.get(Case, case_id)
    mails: list[dict] = []
    for index, item in enumerate(outgoing):
        key = f"{case_id}:{event_seq}:{index}"
        if item["kind"] == "message" and item["name"] in MESSAGES:
            subject = MESSAGES[item["name"]].format(ref=case.referentie)
            recipients = _recipients_for_message(session, case, item["name"], item.get("payload") or {})
            if item["name"] == "vk_naar_toegang" and not recipients:
                write_mails(session, mails)
                people.tell_beheerder_no_toegang(session, case, key, now, _footer(case, base_url))
                continue
            body = BODIES.get(item["name"]) or (
                f"{subject}.\n\nDe Veiligheidskaart staat in de casus; wie geen account heeft, ontvangt haar "
                "via de inbrenger.")
            if item["name"] in CARD_LISTS:
                _, by_hand = card_recipients(session, case, item.get("payload") or {}, CARD_LISTS[item["name"]])
                if by_hand:
                    body += f"\n\nGeen geldig e-mailadres ({NOT_BY_MAIL}): " + ", ".join(by_hand) + "."
            files = ATTACHMENTS[item["name"]](session, case, item.get("payload") or {}, now) \
                if item["name"] in ATTACHMENTS else []
            if files is None:  # the document may not be shared (e.g. no consent): no mail
                continue
            queue_mail(session, case, key, item["name"], recipients, subject, body + _footer(case, base_url), now, files,
                       into=mails)
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
                 f"Termijn verstreken in casus {case.referentie}", body + _footer(case, base_url), now, into=mails)
    for task in new_tasks:
        if not task.get("assignee"):
            continue
        due = task.get("due_at")
        body = (f"Er staat een nieuwe taak voor u klaar: {task['name']}."
                + (f"\nDeadline: {due.astimezone(TZ):%d-%m-%Y %H:%M}." if due else ""))
        queue_mail(session, case, f"{case_id}:{event_seq}:taak:{task['spiff_task_id']}", "nieuwe_taak",
             _user_emails(session, [task["assignee"]]), f"Nieuwe taak: {task['name']} (casus {case.referentie})",
             body + _footer(case, base_url), now, into=mails)
    write_mails(session, mails)
