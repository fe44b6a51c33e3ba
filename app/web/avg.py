"""For the beheerder: the AVG export of a case (with a reason, then the ZIP) and the cases past
the retention term, destroyed after a reason (app/service/avg_export.py, retention.py)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

from app.service.access import ADMIN
from app.service.errors import InvalidInput, NotFound
from app.service.retention import term_years

from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("avg", __name__)


def _require_admin():
    if ADMIN not in (current_user().rollen or []):
        abort(403)


@bp.route("/beheer/casussen/<int:case_id>/avg-export", methods=["GET", "POST"])
@login_required
def avg_export(case_id: int):
    _require_admin()
    case = service().case(case_id)  # NotFound: 404
    if request.method == "GET":
        return render_template("avg_export.html", nav="bewaartermijn", case=case, reden="", fout=None)
    reden = (request.form.get("reden") or "").strip()
    try:
        made = service().avg_export(case_id, current_user().username, reden, client=request.remote_addr)
    except InvalidInput as exc:
        return render_template("avg_export.html", nav="bewaartermijn", case=case, reden=reden,
                               fout=exc.message), 422
    return Response(made.zip_bytes(), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"',
                             "Cache-Control": "no-store"})


@bp.get("/beheer/avg-export")
@login_required
def find_case():
    """From a case reference (the beheerder sees no case list) to its export page."""
    _require_admin()
    referentie = (request.args.get("referentie") or "").strip()[:40]
    case_id = service().case_id_by_reference(referentie) if referentie else None
    if case_id is None:
        flash(f"Er is geen casus met referentie '{referentie}'.", "fout")
        return redirect(url_for("avg.retention"))
    return redirect(url_for("avg.avg_export", case_id=case_id))


@bp.get("/beheer/bewaartermijn")
@login_required
def retention():
    _require_admin()
    rows = service().retention_due(current_user().username)
    return render_template("bewaartermijn.html", nav="bewaartermijn", rows=rows, jaren=term_years(), reden="")


@bp.post("/beheer/bewaartermijn/vernietigen")
@login_required
def destroy():
    _require_admin()
    reden = (request.form.get("reden") or "").strip()
    ids = [int(v) for v in request.form.getlist("casus") if v.isdigit()]
    if not ids:
        flash("Kies de casussen die u wilt vernietigen.", "fout")
        return redirect(url_for("avg.retention"))
    try:
        done = service().destroy_due(current_user().username, reden, ids)
    except (InvalidInput, NotFound) as exc:
        flash(exc.message, "fout")
        return redirect(url_for("avg.retention"))
    flash(f"{len(done)} casus(sen) vernietigd: " + ", ".join(d.referentie for d in done) + ".", "succes")
    return redirect(url_for("avg.retention"))
