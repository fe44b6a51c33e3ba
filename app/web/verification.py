"""For auditors: the verification page, `vht verify` in the browser for one case or all."""
from __future__ import annotations

from flask import abort, render_template, request

from app.service.access import ADMIN, AUDITOR

from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("verification", __name__)


def _require_auditor():
    if not {AUDITOR, ADMIN} & set(current_user().rollen or []):
        abort(403)


@bp.get("/audit/verificatie")
@login_required
def page():
    _require_auditor()
    return render_template("verification.html", nav="verificatie", report=None, casus="", replay=True)


@bp.post("/audit/verificatie")
@login_required
def run():
    """Reads only; a POST because it may take a while and should not run again on a reload."""
    _require_auditor()
    casus = request.form.get("casus", "").strip()[:40]
    replay = request.form.get("zonder_replay") != "1"
    case_id = None
    if casus:
        case_id = service().case_id_by_reference(casus)
        if case_id is None:
            return render_template("verification.html", nav="verificatie", report=None, casus=casus, replay=replay,
                                   fout=f"Er is geen casus met nummer of kenmerk '{casus}'."), 422
    report = service().verify(case_id, replay=replay)
    return render_template("verification.html", nav="verificatie", report=report, casus=casus, replay=replay)
