"""The Veiligheidskaart (VK) of a case: versions, the send log with the PDFs as sent, consents.

How the card changes (DOMAIN.md 2.2):
- A task that the procedures say updates the card edits its sections through its form. Which
  form (by form key) fills which section, and from where, is `TASK_SECTIONS` below; after such a
  task is completed (the AFTER_ACT hook) a NEW VERSION is saved when a section changed: who, when,
  which task, which sections changed. Versions are never updated, except their status when the
  card is sent.
- The first version starts from the case's CAB advice (advies_tekst, afspraken of p0_cab_houden).
- The parents' reaction is never lost (DOMAIN.md G4). It becomes a new version the moment it is
  recorded, with its date of receipt, whether the procedure waits for it or not. When the
  sending day comes without one, the send task `reactie_ouders_niet_ontvangen` writes "reactie
  ouders niet ontvangen" with the date (a version by the system) and the chair is mailed. A
  reaction that arrives after the sending day (even after the procedure ended) is recorded
  outside the engine (`record_late_reaction`, event `message_received_late`); once the definitive
  card went out, the new version goes to the same recipients and the chair (send log
  `vk_reactie_ouders_na_verzenddag`).
- A send task of a procedure mails the current version as PDF (notifications.ATTACHMENTS); the
  PDF as sent is stored in the send log (vk_verzending). It is made right after the act's commit
  (pdfs.py), so the log row has no PDF for that moment.
- Sharing with the gemeentelijke toegang needs the parents' consent (p5_vk_update,
  toestemming_delen, recorded in vk_toestemming). Refused: nothing is sent and the send log says
  "niet gedeeld: geen toestemming" (DOMAIN.md G19).
"""
from __future__ import annotations

import difflib
import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from persistence.models import Case, Event, HumanTask, User, VkToestemming, VkVersie, VkVerzending

from . import events, instances, messages, notifications, pdfs, task_rules
from .errors import NotFound
from .events import SYSTEM

# The sections, in the order of the card, with their titles.
SECTIONS = {
    "advies_tekst": "Advies van het VeiligheidsTeam",
    "afspraken": "Afspraken van het VeiligheidsTeam (wie, wat, wanneer, monitoring)",
    "reactie_ouders": "Reactie van ouders",
    "samenvatting": "Actuele samenvatting van de krachten en afspraken met het gezin",
    "veiligheidsafspraken": "(Veiligheids)afspraken",
    "weergave_gesprek": "Weergave van het gesprek en de gemaakte afspraken",
    "uitkomst": "Uitkomst uit het gesprek",
}

# {form key: (status of the card after it, {section: where the value comes from})}. A source is
# a field of the completed form, "cab:<field>" (the CAB advice of P0) or "afspraken:<field>" (a
# list of agreements as lines). The parents' reaction is not here: it enters the card when it is
# recorded (REACTIE below). The chair's agreements of the interventiegesprek land in the card's
# "(Veiligheids)afspraken" when the conversation was held.
TASK_SECTIONS = {
    "p3_interventiegesprek_voeren": ("gesprek_gevoerd", {"veiligheidsafspraken": "afspraken:afspraken_gesprek"}),
    "p4_interventiegesprek_voeren": ("gesprek_gevoerd", {"veiligheidsafspraken": "afspraken:afspraken_gesprek"}),
    "sp_vk_verwerken_advies": ("advies_verwerkt", {"advies_tekst": "cab:advies_tekst", "afspraken": "cab:afspraken"}),
    "sp_vk_na_gesprek_verwerken": ("gesprek_verwerkt", {"weergave_gesprek": "weergave_gesprek"}),
    "sp_vk_na_gesprek_uitkomst": ("uitkomst_verwerkt", {"uitkomst": "uitkomst"}),
    "p5_vht_inbrengen": ("geactualiseerd_voor_vht", {"samenvatting": "vk_samenvatting"}),
    "p5_vk_update": ("bijgewerkt_met_ouders", {"veiligheidsafspraken": "veiligheidsafspraken"}),
}

# The consent a form records: {form key: (field, who, for what)}.
CONSENT_FIELDS = {
    "p5_vk_update": ("toestemming_delen", "ouders", "delen met de gemeentelijke toegang"),
}

# The send tasks that mail the card, and the status of the card once sent.
SEND_STATUS = {
    "vk_naar_rvdk": "naar_rvdk_gestuurd",
    "vk_definitief_verzonden": "definitief_verzonden",
    "vk_na_gesprek_verzonden": "na_gesprek_verzonden",
    "vk_naar_toegang": "gedeeld_met_toegang",
}

REACTIE = "reactie_ouders_ontvangen"  # the incoming message
NIET_ONTVANGEN = "reactie_ouders_niet_ontvangen"  # the send task on the sending day without one
LATE_EVENT = "message_received_late"  # a reaction recorded when no procedure waits for it
LATE_SEND = "vk_reactie_ouders_na_verzenddag"  # its send-log reason
ASKED_FORM = "sp_vk_voorbereiden_reactie_vragen"  # the task that asks the parents

STATUS_LABELS = {
    "concept": "concept",
    "advies_verwerkt": "advies verwerkt",
    "naar_rvdk_gestuurd": "naar de RvdK gestuurd",
    "reactie_ouders_ontvangen": "reactie ouders ontvangen",
    "reactie_ouders_niet_ontvangen": "reactie ouders niet ontvangen",
    "na_reactie_ouders_verzonden": "met de reactie van ouders opnieuw verzonden",
    "reactie_ouders_verwerkt": "reactie ouders verwerkt",
    "definitief_verzonden": "definitief verzonden",
    "gesprek_gevoerd": "afspraken uit het gesprek verwerkt",
    "gesprek_verwerkt": "gesprek verwerkt",
    "uitkomst_verwerkt": "uitkomst verwerkt",
    "na_gesprek_verzonden": "na het gesprek verzonden",
    "geactualiseerd_voor_vht": "geactualiseerd voor het VeiligheidsTeam",
    "bijgewerkt_met_ouders": "bijgewerkt met ouders",
    "gedeeld_met_toegang": "gedeeld met de toegang",
}

NOT_SHARED = "niet gedeeld: geen toestemming"
TOEGANG = "vk_naar_toegang"


# --- reading --------------------------------------------------------------------------------

def versions(session: Session, case_id: int) -> list[VkVersie]:
    return session.scalars(select(VkVersie).where(VkVersie.case_id == case_id).order_by(VkVersie.versie)).all()


def current(session: Session, case_id: int) -> VkVersie | None:
    return session.scalars(select(VkVersie).where(VkVersie.case_id == case_id)
                           .order_by(VkVersie.versie.desc()).limit(1)).first()


def version(session: Session, case_id: int, number: int) -> VkVersie | None:
    return session.scalars(select(VkVersie).where(VkVersie.case_id == case_id, VkVersie.versie == number)).first()


def sends(session: Session, case_id: int) -> list[VkVerzending]:
    return session.scalars(select(VkVerzending).where(VkVerzending.case_id == case_id).order_by(VkVerzending.id)).all()


def consents(session: Session, case_id: int) -> list[VkToestemming]:
    return session.scalars(select(VkToestemming).where(VkToestemming.case_id == case_id)
                           .order_by(VkToestemming.id)).all()


def _as_text(key: str, value) -> str:
    if key == "afspraken":
        return "\n".join(" | ".join(str(item.get(f) or "") for f in ("wie", "wat", "wanneer", "monitoring"))
                         for item in _dated(key, value or []) if isinstance(item, dict))
    return str(value or "")


def diff(a: VkVersie, b: VkVersie) -> list[dict]:
    """Per section: both texts, whether it changed, and what changed from a to b in words."""
    result = []
    for key, title in SECTIONS.items():
        left, right = _as_text(key, a.secties.get(key)), _as_text(key, b.secties.get(key))
        result.append({"key": key, "titel": title, "links": left, "rechts": right, "gewijzigd": left != right,
                       "woorden": word_diff(left, right) if left != right else []})
    return result


def word_diff(left: str, right: str) -> list[tuple[str, str]]:
    """The new text as pieces ('gelijk' | 'weg' | 'erbij', text): a reader sees the changed words
    highlighted in place, not a line diff with its markers."""
    a, b = re.findall(r"\S+|\s+", left), re.findall(r"\S+|\s+", right)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("gelijk", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(("weg", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(("erbij", "".join(b[j1:j2])))
    return pieces


# --- changing -------------------------------------------------------------------------------

def _cab_advice(session: Session, case_id: int, memo: dict | None = None) -> dict:
    """advies_tekst and afspraken of the newest CAB (P0's p0_cab_houden) of the case. `memo`: one
    act's cache (it reads every completed task's event; the sections of an act ask up to three times)."""
    if memo is not None and "cab" in memo:
        return memo["cab"]
    advice = {}
    for event in _events(session, case_id, "task_completed"):
        data = event.data.get("data") or {}
        if event.data.get("process_id") == "p0_consultatie_advies" and "advies_tekst" in data:
            advice = {"advies_tekst": data.get("advies_tekst"), "afspraken": data.get("afspraken") or []}
            break
    if memo is not None:
        memo["cab"] = advice
    return advice


def _events(session: Session, case_id: int, type_: str) -> list[Event]:
    """Events of one type, newest first."""
    return session.scalars(select(Event).where(Event.case_id == case_id, Event.type == type_)
                           .order_by(Event.seq.desc())).all()


def _source(session: Session, case_id: int, source: str, form: dict, memo: dict | None = None):
    if source.startswith("cab:"):
        return _cab_advice(session, case_id, memo).get(source[4:])
    if source.startswith("afspraken:"):
        return task_rules.afspraken_text(form.get(source[10:])) or None
    return form.get(source)


def _day(value) -> str:
    """dd-mm-jjjj of an ISO date or a moment (in Dutch time)."""
    if isinstance(value, datetime):
        return value.astimezone(TZ).strftime("%d-%m-%Y")
    return date.fromisoformat(str(value)).strftime("%d-%m-%Y")


def _added(previous: str | None, text: str) -> str:
    """The section with `text` after what it held: an earlier reaction or marking stays."""
    return f"{previous}\n\n{text}" if previous else text


def _version_of(session: Session, case_id: int, seq: int) -> VkVersie | None:
    return session.scalars(select(VkVersie).where(VkVersie.case_id == case_id, VkVersie.event_seq == seq)).first()


def _record_reaction(session: Session, case_id: int, event) -> VkVersie | None:
    """The parents' reaction in the card, with its date of receipt: a new version."""
    if _version_of(session, case_id, event.seq):
        return None
    data = event.data.get("data") or {}
    received = _day(data.get("ontvangen_op") or event.at)
    previous = current(session, case_id)
    text = _added(previous.secties.get("reactie_ouders") if previous else None,
                  f"Ontvangen op {received}:\n{data.get('reactie_ouders') or ''}".rstrip())
    return _save_version(session, case_id, {"reactie_ouders": text}, "reactie_ouders_ontvangen", event.actor,
                         event.at, "Reactie van ouders ontvangen", None, event.seq)


def _mark_not_received(session: Session, case_id: int, event) -> None:
    """On the sending day without a reaction the system writes so in the card, with the date."""
    if _version_of(session, case_id, event.seq):
        return
    previous = current(session, case_id)
    text = _added(previous.secties.get("reactie_ouders") if previous else None,
                  f"reactie ouders niet ontvangen ({_day(event.at)}, verzenddag van de definitieve Veiligheidskaart)")
    _save_version(session, case_id, {"reactie_ouders": text}, "reactie_ouders_niet_ontvangen", SYSTEM, event.at,
                  "Reactie ouders niet ontvangen", None, event.seq)


def _save_version(session: Session, case_id: int, updates: dict, status: str, actor: str, at: datetime,
                  task: str | None, human_task_id: int | None, seq: int | None,
                  memo: dict | None = None) -> VkVersie | None:
    """A new version with `updates` applied; None when nothing changed (and a first version exists)."""
    previous = current(session, case_id)
    base = dict(previous.secties) if previous else {k: None for k in SECTIONS} | _cab_advice(session, case_id, memo)
    sections = {**base, **{k: v for k, v in updates.items() if v is not None}}
    if previous is None:
        changed = [k for k in SECTIONS if sections.get(k)]
    else:
        changed = [k for k in SECTIONS if sections.get(k) != previous.secties.get(k)]
        if not changed:
            return None
    row = VkVersie(case_id=case_id, versie=(previous.versie + 1) if previous else 1, secties=sections,
                   gewijzigd=changed, status=status, door=actor, op=at, taak=task, human_task_id=human_task_id,
                   event_seq=seq)
    session.add(row)
    session.flush()
    return row


def apply_event(session: Session, case_id: int, event) -> None:
    """What a completed task or a recorded reaction changes in the card. Idempotent per event (seq)."""
    if event.type in ("message_delivered", LATE_EVENT) and (event.data or {}).get("message") == REACTIE:
        _record_reaction(session, case_id, event)
        return
    if event.type != "task_completed" or not event.human_task_id:
        return
    # Most tasks do not touch the card: decide that first (the task is usually in the session already).
    task = session.get(HumanTask, event.human_task_id)
    form_key = task.form_key if task is not None else None
    if form_key not in TASK_SECTIONS and form_key not in CONSENT_FIELDS:
        return
    if session.scalar(select(VkVersie.id).where(VkVersie.case_id == case_id, VkVersie.event_seq == event.seq)) or \
            session.scalar(select(VkToestemming.id).where(VkToestemming.case_id == case_id,
                                                          VkToestemming.event_seq == event.seq)):
        return
    form = event.data.get("data") or {}
    task_name = event.data.get("task")
    if form_key in TASK_SECTIONS:
        status, mapping = TASK_SECTIONS[form_key]
        memo: dict = {}
        updates = {section: _source(session, case_id, source, form, memo) for section, source in mapping.items()}
        _save_version(session, case_id, updates, status, event.actor, event.at, task_name, event.human_task_id,
                      event.seq, memo)
    if form_key in CONSENT_FIELDS:
        field, who, what = CONSENT_FIELDS[form_key]
        if field in form:
            session.add(VkToestemming(case_id=case_id, wie=who, waarvoor=what, gegeven=bool(form[field]),
                                      op=event.at, vastgelegd_door=event.actor, event_seq=event.seq))
            if not form[field]:
                # The diagram does not reach the send task: the log still says why nothing went out.
                latest = current(session, case_id)
                session.add(VkVerzending(case_id=case_id, versie=latest.versie if latest else None, reden=TOEGANG,
                                         aan=[], status="niet_gedeeld", toelichting=NOT_SHARED, op=event.at))
            session.flush()


def after_act(ctx, session: Session, instance, event, outgoing) -> None:
    apply_event(session, instance.case_id, event)
    if any(item["kind"] == "message" and item["name"] == NIET_ONTVANGEN for item in outgoing):
        _mark_not_received(session, instance.case_id, event)


# --- a reaction after the sending day ---------------------------------------------------------

def _asked(session: Session, case_id: int) -> bool:
    return session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id, HumanTask.form_key == ASKED_FORM,
                                                     HumanTask.state == "completed").limit(1)) is not None


def _latest_fields(session: Session, case_id: int, names: tuple[str, ...]) -> dict:
    """The newest value each of these fields got in a completed task of the case."""
    found: dict = {}
    for event in _events(session, case_id, "task_completed"):
        data = event.data.get("data") or {}
        found.update({k: data[k] for k in names if k in data and k not in found})
    return found


CHAIR_FIELDS = ("voorzitter_type", "voorzitter_naam", "voorzitter_contact", "voorzitter_gebruiker")


def accepts_late_reaction(session: Session, case: Case) -> bool:
    """A reaction is taken whenever the parents were asked for one, however late it comes."""
    return _asked(session, case.id)


def record_late_reaction(ctx, session: Session, case: Case, values: dict, actor: str) -> messages.Delivered:
    """No procedure waits for the reaction any more (the sending day passed, or the procedure
    ended): it is still recorded, as a new version; once the definitive card went out, that
    version goes to the same recipients and the chair, logged in the send log."""
    if not accepts_late_reaction(session, case):
        raise NotFound(f"Casus {case.id} wacht niet op het bericht '{REACTIE}': de ouders is nog niet om een "
                       "reactie gevraagd.")
    now = ctx.now()
    event = events.append(session, case_id=case.id, type=LATE_EVENT, actor=actor, at=now,
                          data={"message": REACTIE, "data": values})
    row = _record_reaction(session, case.id, event) or current(session, case.id)
    definitive = session.scalars(select(VkVerzending).where(
        VkVerzending.case_id == case.id, VkVerzending.reden == "vk_definitief_verzonden",
        VkVerzending.status == "verzonden").order_by(VkVerzending.id.desc()).limit(1)).first()
    if definitive is None:  # the definitive card is still to go out: it will carry the reaction
        return messages.Delivered(case.id, REACTIE, None, True, row.versie if row else None, False)
    chair = notifications.chair_recipients(session, case, _latest_fields(session, case.id, CHAIR_FIELDS))
    recipients = sorted({*(definitive.aan or []), *chair})
    subject = f"Bijgewerkte Veiligheidskaart: reactie van ouders ontvangen (casus {case.referentie})"
    body = (f"De ouders hebben na de verzenddag gereageerd op de Veiligheidskaart (ontvangen op "
            f"{_day(values.get('ontvangen_op') or now)}). Hun reactie staat in versie {row.versie} van de kaart, in "
            "de bijlage. U ontvangt deze omdat u de definitieve Veiligheidskaart ontving, of als voorzitter.")
    if definitive.toelichting:
        body += f"\n\n{definitive.toelichting}."
    files = _send_files(session, case, row, LATE_SEND, recipients, now, "na_reactie_ouders_verzonden",
                        definitive.toelichting)
    notifications.queue_mail(session, case, f"{case.id}:{event.seq}:reactie", LATE_SEND, recipients, subject,
                             body + notifications._footer(case, ctx.base_url), now, files)
    return messages.Delivered(case.id, REACTIE, None, True, row.versie, True)


messages.LATE[REACTIE] = (accepts_late_reaction, record_late_reaction)


def sync(session: Session, case_id: int) -> None:
    """Apply the act being recorded right now: the mails are queued before the AFTER_ACT hooks
    run, and a send task right after an updating task must send the updated card."""
    latest = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc()).limit(1)).first()
    if latest is not None:
        apply_event(session, case_id, latest)


# --- rendering and sending ------------------------------------------------------------------

def _local(moment: datetime | None) -> str:
    return moment.astimezone(TZ).strftime("%d-%m-%Y %H:%M") if moment else ""


def day(value) -> str:
    """A date as the card writes every date, 12-05-2026; text that is no ISO date stays as typed."""
    try:
        return date.fromisoformat(str(value)).strftime("%d-%m-%Y") if value else ""
    except ValueError:
        return str(value)


def _dated(key: str, value):
    """A section as the card shows it: the afspraken with their dates written the Dutch way."""
    if key != "afspraken" or not isinstance(value, list):
        return value
    return [{**item, "wanneer": day(item.get("wanneer"))} if isinstance(item, dict) else item for item in value]


def _name(session: Session, username: str | None) -> str:
    if not username:
        return ""
    user = session.get(User, username)
    return user.naam if user else username


def document_context(session: Session, case: Case, row: VkVersie, now: datetime) -> dict:
    data = case.gegevens or {}
    ouders = ", ".join(o.get("naam", "") for o in data.get("ouders") or [] if isinstance(o, dict))
    jeugdigen = ", ".join(f"{j.get('naam', '')} ({day(j.get('geboortedatum'))})"
                          for j in data.get("jeugdigen") or [] if isinstance(j, dict))
    return {
        "case": {"referentie": case.referentie, "gemeente_naam": (case.gemeente or "").replace("_", "-").title(),
                 "jeugdige_initialen": case.jeugdige_initialen, "jeugdigen": jeugdigen, "ouders": ouders,
                 "inbrenger": _name(session, case.inbrenger),
                 "cab_datum": case.cab_datum.strftime("%d-%m-%Y") if case.cab_datum else ""},
        "versie": {"versie": row.versie, "status_label": STATUS_LABELS.get(row.status, row.status),
                   "op": _local(row.op), "door": _name(session, row.door)},
        "secties": [{"key": k, "titel": t, "waarde": _dated(k, row.secties.get(k))} for k, t in SECTIONS.items()],
        "datum": now.astimezone(TZ).strftime("%d-%m-%Y"),
    }


def filename(case: Case, row: VkVersie) -> str:
    return f"VK-{case.referentie}-v{row.versie}.pdf"


def _ensure_version(session: Session, case: Case, now: datetime) -> VkVersie:
    row = current(session, case.id)
    if row is None:  # sent before any task edited it: the CAB advice as it stands
        row = _save_version(session, case.id, {}, "concept", SYSTEM, now, None, None, None)
    return row


def attachment_for(name: str):
    def attach(session: Session, case: Case, payload: dict, now: datetime):
        sync(session, case.id)
        recipients = notifications._recipients_for_message(session, case, name, payload)
        row = _ensure_version(session, case, now)
        if name == TOEGANG:
            consent = session.scalars(select(VkToestemming).where(VkToestemming.case_id == case.id)
                                      .order_by(VkToestemming.id.desc()).limit(1)).first()
            if consent is None or not consent.gegeven:
                already = session.scalar(select(VkVerzending.id).where(
                    VkVerzending.case_id == case.id, VkVerzending.reden == TOEGANG, VkVerzending.status == "niet_gedeeld",
                    VkVerzending.op == now))
                if not already:
                    session.add(VkVerzending(case_id=case.id, versie=row.versie, reden=name, aan=recipients,
                                             status="niet_gedeeld", toelichting=NOT_SHARED, op=now))
                    session.flush()
                return None  # no mail at all
        by_hand = None
        if name in notifications.CARD_LISTS:
            names = notifications.card_recipients(session, case, payload, notifications.CARD_LISTS[name])[1]
            by_hand = f"{notifications.NOT_BY_MAIL}: " + ", ".join(names) if names else None
        return _send_files(session, case, row, name, recipients, now, SEND_STATUS[name], by_hand)
    return attach


def _send_files(session: Session, case: Case, row: VkVersie, reason: str, recipients, now: datetime, status: str,
                note: str | None) -> list:
    """The card as attachment, and its send-log row (who got it by mail; `note`: who did not)."""
    from app.documents import veiligheidskaart as document

    # Only the HTML now; the PDF is made after the commit and lands in this log row and the mail.
    html = document.render_html(document_context(session, case, row, now))
    sent = VkVerzending(case_id=case.id, versie=row.versie, reden=reason, aan=sorted(set(recipients)),
                        status="verzonden", toelichting=note[:300] if note else None, op=now,
                        bestandsnaam=filename(case, row), pdf=None)
    session.add(sent)
    row.status = status
    session.flush()
    return [(filename(case, row), "application/pdf", pdfs.PdfLater(html, pdfs.VEILIGHEIDSKAART, sent.id))]


for _name_ in SEND_STATUS:
    notifications.ATTACHMENTS[_name_] = attachment_for(_name_)
if after_act not in instances.AFTER_ACT:
    instances.AFTER_ACT.append(after_act)
