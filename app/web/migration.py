"""For the process owner: migrating the running cases of a version to another version of the
same procedure. First a dry run (per case: the tasks that stay, end and begin, or why it cannot
move), then one confirmation with a reason for all cases in it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from app.service.access import PROCESS_OWNER
from app.service.errors import InvalidInput

from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("migration", __name__)


def _require_process_owner():
    if PROCESS_OWNER not in (current_user().rollen or []):
        abort(403)


def _name(process_id: str) -> str:
    return service().process_version(process_id).name or process_id


@bp.get("/beheer/processen/<process_id>/versies/<int:van>/migreren")
@login_required
def dry_run(process_id: str, van: int):
    _require_process_owner()
    naar = request.args.get("naar", type=int)
    if naar is None:
        abort(404)
    report = service().migration_dry_run(current_user().username, process_id, van, naar)
    return render_template("migration.html", nav="processen", process_id=process_id, name=_name(process_id),
                           report=report, reden="")


@bp.post("/beheer/processen/<process_id>/versies/<int:van>/migreren")
@login_required
def confirm(process_id: str, van: int):
    _require_process_owner()
    naar = request.form.get("naar", type=int)
    # Only the cases the owner saw as movable in the dry run; a case started since is not taken along.
    ids = [int(value) for value in request.form.getlist("instantie") if value.isdigit()]
    if naar is None or not ids:
        abort(400)
    reden = request.form.get("reden", "").strip()
    try:
        report = service().migrate_cases(current_user().username, process_id, van, naar, reden, ids)
    except InvalidInput as exc:  # no reason: the same dry run again, with the message
        flash(exc.message, "fout")
        report = service().migration_dry_run(current_user().username, process_id, van, naar, ids)
        return render_template("migration.html", nav="processen", process_id=process_id, name=_name(process_id),
                               report=report, reden=reden), 422
    moved, refused = len(report.movable), len(report.refused)
    flash(f"{moved} {'casus' if moved == 1 else 'casussen'} gemigreerd van versie {van} naar versie {naar}"
          + (f"; {refused} geweigerd (blijven op versie {van})." if refused else "."), "succes")
    return redirect(url_for("versions.version_list", process_id=process_id))
