"""For the beheerder: the outgoing mail, with what failed and why, and sending it again."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from app.service.access import ADMIN

from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("admin", __name__)
STATUSES = {"pending": "wacht", "sending": "wordt verstuurd", "sent": "verstuurd", "failed": "mislukt"}


def _require_admin():
    if ADMIN not in (current_user().rollen or []):
        abort(403)


@bp.get("/beheer/berichten")
@login_required
def outbox():
    _require_admin()
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    return render_template("outbox.html", nav="beheer", messages=service().outbox(status), status=status,
                           statuses=STATUSES)


@bp.post("/beheer/berichten/<int:message_id>/opnieuw")
@login_required
def retry(message_id: int):
    _require_admin()
    service().retry_outbox(message_id, current_user().username)
    flash(f"Bericht {message_id} staat weer in de wachtrij.")
    return redirect(url_for("admin.outbox"))
