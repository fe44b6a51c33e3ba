"""The export for an AVG request (inzage, art. 15): everything the product holds about one case as
a ZIP, made by a beheerder with a reason, and itself recorded on the case and in the access log.

The ZIP holds casus.json (the case, its procedures, tasks, who took part, consents), the timeline
with the values entered (tijdlijn.json and a readable tijdlijn.html, from app/service/timeline.py),
the events as recorded (gebeurtenissen.json), every Veiligheidskaart
version as PDF, what was sent (the card as it went out, the mails with their attachments), the
access log of the case (toegangslog.csv) and LEESMIJ.txt that says all this in Dutch.

Data is read and the export recorded in one transaction; the PDFs are rendered after it, so the
slow part holds no lock.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from persistence.models import (
    AchttienStart,
    Case,
    CaseMember,
    CaseOrganisation,
    Event,
    HumanTask,
    Incident,
    OutboxAttachment,
    OutboxMessage,
    ProcessInstance,
    TaskDraft,
    ToegangLog,
    User,
    VkToestemming,
    VkVersie,
    VkVerzending,
)

from . import access_log, events, mail_status
from . import timeline as case_timeline
from . import veiligheidskaart as vk
from .access import ADMIN
from .context import Context
from .errors import InvalidInput, NotFound, PermissionDenied

EVENT_TYPE = "avg_export"
ACCESS_WHAT = "avg-export"
ACCESS_PURPOSE = "verzoek_betrokkene"  # access_log.REASONS


@dataclass
class Export:
    filename: str
    referentie: str
    files: dict[str, bytes] = field(default_factory=dict)
    # The Veiligheidskaart versions, rendered to PDF after the transaction: {path: html}.
    pending_pdfs: dict[str, str] = field(default_factory=dict)

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in self.files.items():
                archive.writestr(f"{self.referentie}/{path}", data)
        return buffer.getvalue()


def _iso(moment) -> str | None:
    return moment.astimezone(TZ).isoformat(timespec="seconds") if isinstance(moment, datetime) else (
        moment.isoformat() if moment else None)


def _shown(moment: datetime | None) -> str:
    return moment.astimezone(TZ).strftime("%d-%m-%Y %H:%M:%S") if moment else ""


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120] or "bestand"


def _case_data(session: Session, case: Case) -> dict:
    instances = session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id)
                                .order_by(ProcessInstance.id)).all()
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id)).all()
    members = session.scalars(select(CaseMember).where(CaseMember.case_id == case.id)).all()
    organisations = session.scalars(select(CaseOrganisation).where(CaseOrganisation.case_id == case.id)).all()
    consents = session.scalars(select(VkToestemming).where(VkToestemming.case_id == case.id)
                               .order_by(VkToestemming.id)).all()
    drafts = session.scalars(select(TaskDraft).join(HumanTask, HumanTask.id == TaskDraft.human_task_id)
                             .where(HumanTask.case_id == case.id).order_by(TaskDraft.saved_at)).all()
    problems = session.scalars(select(Incident).where(Incident.case_id == case.id).order_by(Incident.id)).all()
    starts = session.scalars(select(AchttienStart).where(AchttienStart.case_id == case.id)).all()
    return {
        "referentie": case.referentie, "gemeente": case.gemeente, "status": case.status,
        "inbrenger": case.inbrenger, "jeugdige_initialen": case.jeugdige_initialen, "maatregel": case.maatregel,
        "einde_maatregel": _iso(case.einde_maatregel), "cab_datum": _iso(case.cab_datum),
        "aangemaakt_op": _iso(case.aangemaakt_op), "afgesloten_op": _iso(case.afgesloten_op),
        "gegevens": case.gegevens or {}, "signalen": case.signalen or [],
        "procedures": [{"id": i.id, "procedure": i.process_id, "naam": i.process_version.name,
                        "versie": i.process_version.version, "status": i.status, "eindstatus": i.eindstatus,
                        "gestart_op": _iso(i.started_at), "afgerond_op": _iso(i.completed_at)} for i in instances],
        "taken": [{"id": t.id, "naam": t.name, "procedure": t.process_id, "rol": t.role, "status": t.state,
                   "toegewezen_aan": t.assignee, "aangemaakt_op": _iso(t.created_at), "deadline": _iso(t.due_at),
                   "afgerond_op": _iso(t.completed_at), "afgerond_door": t.completed_by} for t in tasks],
        "betrokkenen": [{"gebruiker": m.username, "reden": m.reden, "toegevoegd_door": m.added_by,
                         "toegevoegd_op": _iso(m.added_at)} for m in members],
        "organisaties": [{"rol": o.rol, "organisatie": o.organisatie} for o in organisations],
        "toestemmingen_veiligheidskaart": [{"wie": c.wie, "waarvoor": c.waarvoor, "gegeven": c.gegeven,
                                            "op": _iso(c.op), "vastgelegd_door": c.vastgelegd_door}
                                           for c in consents],
        # Not yet case data, but about the family all the same.
        "concepten": [{"taak_id": d.human_task_id, "gebruiker": d.username, "opgeslagen_op": _iso(d.saved_at),
                       "gegevens": d.data} for d in drafts],
        "incidenten": [{"id": p.id, "stap": p.element_name or p.element_id, "melding": p.message,
                        "gegevens_gezien": p.data_seen, "eerste_keer": _iso(p.first_at),
                        "laatste_keer": _iso(p.last_at), "status": p.status} for p in problems],
        "achttien_besprekingen": [{"jeugdige": s.jeugdige, "gestart_op": _iso(s.gestart_op)} for s in starts],
    }


def _events(session: Session, case_id: int) -> list[dict]:
    """Every event of the case as recorded, with all its data (the complete record)."""
    rows = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
    return [{"volgnummer": e.seq, "moment": _iso(e.at), "soort": e.type, "wie": e.actor,
             "taak": e.task_bpmn_id, "taak_id": e.human_task_id, "procedure_instantie": e.instance_id,
             "gegevens": e.data or {}} for e in rows]


_TIMELINE_HTML = Environment(autoescape=select_autoescape(default=True)).from_string("""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Tijdlijn casus {{ referentie }}</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px;
vertical-align:top;text-align:left}ul{margin:0;padding-left:1.2em}</style></head><body>
<h1>Tijdlijn van casus {{ referentie }}</h1>
<p>Alles wat in deze casus is gebeurd, in volgorde, met de ingevulde waarden en wat er is veranderd.</p>
<table><thead><tr><th>Moment</th><th>Wie</th><th>Soort</th><th>Wat</th><th>Waarden en wijzigingen</th></tr></thead>
<tbody>{% for e in entries %}<tr><td>{{ e.shown }}</td><td>{{ e.actor_name }}</td><td>{{ e.label }}</td>
<td>{{ e.title }}</td><td><ul>{% for v in e["values"] %}<li>{{ v.label }}: {{ v.text }}{% if v.rows %}<ul>
{% for row in v.rows %}<li>{% for c in row %}{{ c.label }}: {{ c.text }}{% if not loop.last %}; {% endif %}
{% endfor %}</li>
{% endfor %}</ul>{% endif %}</li>{% endfor %}{% for c in e.changes %}<li>{{ c.label }}: was {{ c.before }}, werd
{{ c.after }}</li>{% endfor %}{% for d in e.details %}<li>{{ d }}</li>{% endfor %}</ul></td></tr>
{% endfor %}</tbody></table></body></html>
""")


def _timeline(ctx: Context, session: Session, case: Case) -> tuple[bytes, bytes]:
    """tijdlijn.json and tijdlijn.html: the timeline the case page shows (app/service/timeline.py)."""
    entries = [e.as_dict() for e in case_timeline.timeline(ctx, session, case.id)]
    shown = [{**e, "shown": _shown(datetime.fromisoformat(e["at"]))} for e in entries]
    return _json(entries), _TIMELINE_HTML.render(referentie=case.referentie, entries=shown).encode("utf-8")


def _access_log_csv(session: Session, case_id: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["moment", "gebruiker", "rollen", "wat", "adres", "betrokken", "doel", "toelichting"])
    for row in session.scalars(select(ToegangLog).where(ToegangLog.case_id == case_id).order_by(ToegangLog.at,
                                                                                                 ToegangLog.id)):
        writer.writerow([_shown(row.at), row.username, row.rollen, row.wat, row.client or "",
                         "ja" if row.betrokken else "nee", row.doel or "", row.toelichting or ""])
    return out.getvalue().encode("utf-8")


def _sent(session: Session, export: Export, case_id: int) -> tuple[int, int]:
    """The card as it was sent (send log) and every mail of the case with its attachments."""
    sends = session.scalars(select(VkVerzending).where(VkVerzending.case_id == case_id)
                            .order_by(VkVerzending.id)).all()
    log = []
    for row in sends:
        path = f"verzonden/veiligheidskaart/{row.id}-{_safe(row.bestandsnaam or 'veiligheidskaart.pdf')}" \
            if row.pdf else None
        if path:
            export.files[path] = row.pdf
        log.append({"id": row.id, "versie": row.versie, "reden": row.reden, "aan": row.aan, "status": row.status,
                    "toelichting": row.toelichting, "op": _iso(row.op), "bestand": path})
    export.files["verzonden/veiligheidskaart/verzendlog.json"] = _json(log)
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)
                               .order_by(OutboxMessage.id)).all()
    for message in messages:
        folder = f"verzonden/berichten/{message.id:05d}-{_safe(message.reason)}"  # numbered: sorted as sent
        attachments = session.scalars(select(OutboxAttachment).where(OutboxAttachment.message_id == message.id)
                                      .order_by(OutboxAttachment.id)).all()
        names = []
        for attachment in attachments:
            if attachment.data is not None:
                export.files[f"{folder}/{attachment.id}-{_safe(attachment.filename)}"] = attachment.data
                names.append(attachment.filename)
            else:
                names.append(f"{attachment.filename} (nog niet gemaakt)")
        export.files[f"{folder}/bericht.txt"] = (
            f"Onderwerp: {message.subject}\nAan: {', '.join(message.recipients or [])}\n"
            f"Aangemaakt: {_shown(message.created_at)}\nVerstuurd: {_shown(message.sent_at) or 'nog niet'} "
            f"({mail_status.describe(message)})\n"
            f"Bijlagen: {', '.join(names) or 'geen'}\n\n{message.body}\n").encode("utf-8")
    return len(sends), len(messages)


_README = """AVG-export van casus {referentie}
Gemaakt op {moment} door {door}, op verzoek: {reden}

Deze map bevat alle gegevens die de werkwijze VeiligheidsTeam over deze casus bewaart.

casus.json            De gegevens van de casus: referentie, gemeente, maatregel, datums, de
                      ingevoerde gegevens, de procedures (met versie, status en afloop), de
                      taken, wie erbij betrokken is, de toestemmingen voor de Veiligheidskaart,
                      nog niet ingediende concepten van formulieren en technische problemen
                      (incidenten) met de gegevens die daarbij zijn gezien.
tijdlijn.json         Alles wat er in de casus is gebeurd, in volgorde: wie, wanneer, wat, de
tijdlijn.html         waarden die toen zijn ingevuld en wat er is veranderd (html: leesbaar in
                      een webbrowser).
gebeurtenissen.json   Dezelfde gebeurtenissen precies zoals ze zijn vastgelegd, met alle gegevens.
veiligheidskaart/     Elke versie van de Veiligheidskaart als PDF ({versies} versie(s)).
verzonden/            Wat er is verstuurd: de Veiligheidskaart zoals die is verzonden, met het
                      verzendlog ({verzendingen} verzending(en)), en elk bericht (e-mail) over
                      de casus met de bijlagen, zoals brieven ({berichten} bericht(en)).
toegangslog.csv       Wie de gegevens van deze casus heeft ingezien, wanneer, vanaf welk adres en
                      met welk doel (NEN 7513). Deze export staat er zelf ook in.

Tijden zijn Nederlandse tijd. Vragen over deze gegevens kunt u stellen aan de functionaris
gegevensbescherming van de organisatie die de export heeft gemaakt.
"""


def export(ctx: Context, case_id: int, actor: str, reden: str, *, by_operator: bool = False,
           client: str | None = None, sessie: str | None = None) -> Export:
    """The export of one case. `actor` is a beheerder of the app, or (`by_operator`, the command
    line) the operator of the server, who has the database anyway."""
    from app.documents import veiligheidskaart as document  # WeasyPrint: loaded when first needed

    reden = (reden or "").strip()
    if not reden:
        raise InvalidInput("Geef een reden op voor de export (bijvoorbeeld het inzageverzoek).",
                           {"reden": ["Geef een reden op."]})
    with ctx.transaction() as session:
        user = session.get(User, actor)
        if not by_operator and (user is None or not user.actief or ADMIN not in (user.rollen or [])):
            raise PermissionDenied("Alleen een beheerder maakt een AVG-export.")
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Casus {case_id} bestaat niet.")
        if case.vernietigd_op is not None:
            raise NotFound(f"Casus {case.referentie} is vernietigd; er zijn geen gegevens meer om te exporteren.")
        now = ctx.now()
        events.append(session, case_id=case.id, type=EVENT_TYPE, actor=actor, at=now,
                      data={"reden": reden})
        # An export is an access to the case's personal data (NEN 7513), for the family's request.
        access_log.record(ctx, session, actor, [case.id], ACCESS_WHAT, client, sessie, doel=ACCESS_PURPOSE,
                          toelichting=reden)

        export_ = Export(filename=f"AVG-export-{_safe(case.referentie)}.zip", referentie=_safe(case.referentie))
        export_.files["casus.json"] = _json(_case_data(session, case))
        export_.files["tijdlijn.json"], export_.files["tijdlijn.html"] = _timeline(ctx, session, case)
        export_.files["gebeurtenissen.json"] = _json(_events(session, case.id))
        people = dict(session.execute(select(User.username, User.naam)).all())
        versions = session.scalars(select(VkVersie).where(VkVersie.case_id == case.id).order_by(VkVersie.versie)).all()
        for row in versions:
            export_.pending_pdfs[f"veiligheidskaart/{vk.filename(case, row)}"] = document.render_html(
                vk.document_context(session, case, row, row.op))
        sends, messages = _sent(session, export_, case.id)
        export_.files["toegangslog.csv"] = _access_log_csv(session, case.id)
        export_.files["LEESMIJ.txt"] = _README.format(
            referentie=case.referentie, moment=_shown(now), door=people.get(actor, actor), reden=reden,
            versies=len(versions), verzendingen=sends, berichten=messages).encode("utf-8")
    for path, html in export_.pending_pdfs.items():  # slow (WeasyPrint): after the commit
        export_.files[path] = document.render_pdf_from_html(html)
    export_.pending_pdfs.clear()
    return export_
