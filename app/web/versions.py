"""For the process owner: a procedure's versions (who, when, why, its cases), retiring and
reinstating a version, the default for new cases, and the comparison of two versions (the
diagrams side by side in the browser, the changed forms, parameters and letters from here)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from app.service import version_compare
from app.service.access import PROCESS_OWNER
from app.service.errors import InvalidInput

from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("versions", __name__)


def _require_process_owner():
    if PROCESS_OWNER not in (current_user().rollen or []):
        abort(403)


def _back(process_id: str):
    return redirect(url_for("versions.version_list", process_id=process_id))


@bp.get("/beheer/processen/<process_id>/versies")
@login_required
def version_list(process_id: str):
    _require_process_owner()
    rows = service().version_rows(current_user().username, process_id)  # NotFound: a Dutch 404
    newest = rows[0].version
    return render_template("versions.html", nav="processen", process_id=process_id, rows=rows,
                           name=newest.name or process_id,
                           van=rows[1].version.version if len(rows) > 1 else newest.version,
                           naar=newest.version)


def _act(process_id: str, version: int, act, message: str):
    _require_process_owner()
    try:
        act(current_user().username, process_id, version)
    except InvalidInput as exc:  # already retired, or a retired one chosen as default: say so, change nothing
        flash(exc.message, "fout")
    else:
        flash(message, "succes")
    return _back(process_id)


@bp.post("/beheer/processen/<process_id>/versies/<int:version>/intrekken")
@login_required
def retire(process_id: str, version: int):
    return _act(process_id, version, service().retire_version,
                f"Versie {version} is ingetrokken: nieuwe casussen starten er niet meer op. "
                "Lopende casussen op deze versie gaan gewoon door.")


@bp.post("/beheer/processen/<process_id>/versies/<int:version>/weer-in-gebruik")
@login_required
def reinstate(process_id: str, version: int):
    return _act(process_id, version, service().reinstate_version,
                f"Versie {version} is weer in gebruik.")


@bp.post("/beheer/processen/<process_id>/versies/<int:version>/standaard")
@login_required
def make_default(process_id: str, version: int):
    return _act(process_id, version, service().set_default_version,
                f"Nieuwe casussen starten voortaan op versie {version}.")


@bp.get("/beheer/processen/<process_id>/versies/vergelijk")
@login_required
def compare(process_id: str):
    _require_process_owner()
    rows = service().version_rows(current_user().username, process_id)  # NotFound for an unknown process
    van, naar = request.args.get("van", type=int), request.args.get("naar", type=int)
    if van is None or naar is None:
        flash("Kies twee versies om te vergelijken.", "fout")
        return _back(process_id)
    by_number = {row.version.version: row for row in rows}
    for number in (van, naar):
        if number not in by_number:
            abort(404, description=f"Versie {number} van '{process_id}' bestaat niet.")
    left, right = by_number[van], by_number[naar]
    with service().ctx.reading() as session:
        changes = version_compare.compare(session, left.version, right.version)
    return render_template(
        "versions_diff.html", nav="processen", process_id=process_id, name=rows[0].version.name or process_id,
        left=left, right=right, changes=changes, versions=[row.version.version for row in rows],
        xml_a=url_for("modeler.version_xml", process_id=process_id, version=van),
        xml_b=url_for("modeler.version_xml", process_id=process_id, version=naar),
    )
