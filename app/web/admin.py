"""For the beheerder: the outgoing mail, with what failed and why, and sending it again."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for

from app.service.access import ADMIN, PROCESS_OWNER
from app.service.errors import CaseProblem, InvalidInput
from app.service.incidents import KINDS

from .access_logging import INCIDENT, listed, logs_access
from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import process_names, service

bp = page_blueprint("admin", __name__)
STATUSES = {"pending": "wacht", "sending": "wordt verstuurd", "sent": "verstuurd", "failed": "mislukt"}


def _require_admin():
    if ADMIN not in (current_user().rollen or []):
        abort(403)


@bp.get("/beheer/berichten")
@login_required
@logs_access("berichtenlijst")
def outbox():
    _require_admin()
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    messages = service().outbox(status)
    listed(dict.fromkeys(m.case_id for m in messages if m.case_id is not None))
    return render_template("outbox.html", nav="beheer", messages=messages, status=status, statuses=STATUSES)


@bp.post("/beheer/berichten/<int:message_id>/opnieuw")
@login_required
def retry(message_id: int):
    _require_admin()
    service().retry_outbox(message_id, current_user().username)
    flash(f"Bericht {message_id} staat weer in de wachtrij.")
    return redirect(url_for("admin.outbox"))


# --- incidents: engine failures for the beheerder and the procesbeheerder ------------------------

def _require_incident_reader():
    if not {ADMIN, PROCESS_OWNER} & set(current_user().rollen or []):
        abort(403)


@bp.get("/beheer/incidenten")
@login_required
@logs_access("incidentenlijst")
def incidents():
    _require_incident_reader()
    args = request.args
    status = args.get("status", "open")
    status = status if status in ("open", "opgelost", "alle") else "open"
    kind = args.get("soort") if args.get("soort") in KINDS else None
    procedure = (args.get("procedure") or "").strip()[:120] or None
    rows = service().incidents(current_user().username, status=None if status == "alle" else status,
                               process_id=procedure, kind=kind)
    listed(row.incident.case_id for row in rows if row.incident.case_id is not None)
    return render_template("incidents.html", nav="incidenten", rows=rows, status=status, kind=kind, procedure=procedure,
                           kinds=KINDS, procedures=sorted(process_names().items(), key=lambda i: i[1].lower()))


@bp.get("/beheer/incidenten/<int:incident_id>")
@login_required
@logs_access("incident", INCIDENT)
def incident(incident_id: int):
    _require_incident_reader()
    row = service().incident(current_user().username, incident_id)
    # The data an expression saw may be personal: the beheerder sees it, the procesbeheerder its field names.
    is_admin = ADMIN in (current_user().rollen or [])
    return render_template("incident.html", nav="incidenten", row=row, kinds=KINDS, show_data=is_admin,
                           correction_fields=service().correction_choices(incident_id, current_user().username)
                           if is_admin else [],
                           move_choices=service().move_choices(incident_id, current_user().username)
                           if is_admin else [], move_plan=None)


@bp.post("/beheer/incidenten/<int:incident_id>/opnieuw")
@login_required
def retry_incident(incident_id: int):
    _require_incident_reader()
    reason = (request.form.get("reden") or "").strip()
    try:
        result = service().retry_incident(incident_id, current_user().username, reason)
    except InvalidInput as exc:
        flash(exc.message + " " + " ".join(m for ms in (exc.errors or {}).values() for m in ms), "fout")
    except CaseProblem:
        row = service().incident(current_user().username, incident_id)
        flash(f"Opnieuw proberen is mislukt: {row.incident.message} (keer {row.incident.count}).", "fout")
    else:
        flash(f"Incident {incident_id} is opgelost: {result.how}.", "succes")
    return redirect(url_for("admin.incident", incident_id=incident_id))


@bp.post("/beheer/incidenten/<int:incident_id>/corrigeren")
@login_required
def correct_incident(incident_id: int):
    """Correct one value of the case (beheerder only); the retry is a separate, deliberate step."""
    _require_admin()
    form = request.form
    field, value = (form.get("veld") or "").strip(), form.get("waarde") or ""
    try:
        result = service().correct_incident_data(incident_id, field, value, current_user().username,
                                                 (form.get("reden") or "").strip())
    except InvalidInput as exc:
        flash(exc.message + "".join(f" {m}" for ms in (exc.errors or {}).values() for m in ms
                                    if m not in exc.message), "fout")
    else:
        flash(f"'{result.field}' is gecorrigeerd naar {json.dumps(result.after, ensure_ascii=False)}. "
              "Probeer het incident nu opnieuw.", "succes")
    return redirect(url_for("admin.incident", incident_id=incident_id))


@bp.post("/beheer/incidenten/<int:incident_id>/verplaatsen")
@login_required
@logs_access("incident (verplaatsen)", INCIDENT)
def move_incident(incident_id: int):
    """Move the case (beheerder only): first a preview of what ends and begins, then the confirmation."""
    _require_admin()
    form = request.form
    user = current_user().username
    van, naar, reden = (form.get("van") or "").strip(), (form.get("naar") or "").strip(), form.get("reden") or ""
    confirmed = form.get("bevestigd") == "ja"
    try:
        plan = service().move_incident(incident_id, van, naar, user, reden, confirmed)
    except InvalidInput as exc:
        flash(exc.message + "".join(f" {m}" for ms in (exc.errors or {}).values() for m in ms
                                    if m not in exc.message), "fout")
        return redirect(url_for("admin.incident", incident_id=incident_id))
    if confirmed:
        flash(" ".join(plan.lines()[1:]) + " De casus is verplaatst.", "succes")
        return redirect(url_for("admin.incident", incident_id=incident_id))
    row = service().incident(user, incident_id)
    return render_template("incident.html", nav="incidenten", row=row, kinds=KINDS, show_data=True,
                           correction_fields=service().correction_choices(incident_id, user),
                           move_choices=service().move_choices(incident_id, user), move_plan=plan, move_reden=reden)
