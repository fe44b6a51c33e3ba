"""The Veiligheidskaart of a case: the current version, its versions and their differences, the
send log with the PDFs exactly as sent, and the recorded consents. Same access as the case page."""
from __future__ import annotations

from flask import Response, render_template

from .access_logging import CASE, logs_access
from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("vk", __name__)


def _pdf(name: str, data: bytes) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get("/casussen/<int:case_id>/veiligheidskaart")
@login_required
@logs_access("veiligheidskaart", CASE)
def overview(case_id: int):
    data = service().vk_overview(current_user().username, case_id)
    return render_template("veiligheidskaart.html", nav="casussen", **data)


@bp.get("/casussen/<int:case_id>/veiligheidskaart/pdf")
@login_required
@logs_access("veiligheidskaart-pdf", CASE)
def pdf(case_id: int):
    return _pdf(*service().vk_pdf(current_user().username, case_id))


@bp.get("/casussen/<int:case_id>/veiligheidskaart/versies/<int:a>/vergelijk/<int:b>")
@login_required
@logs_access("veiligheidskaart-vergelijking", CASE)
def compare(case_id: int, a: int, b: int):
    case = service().case_for(current_user().username, case_id)
    left, right, sections = service().vk_compare(current_user().username, case_id, a, b)
    return render_template("veiligheidskaart_vergelijk.html", nav="casussen", case=case, links=left, rechts=right,
                           secties=sections)


@bp.get("/casussen/<int:case_id>/veiligheidskaart/verzendingen/<int:send_id>.pdf")
@login_required
@logs_access("veiligheidskaart-verzonden-pdf", CASE)
def sent_pdf(case_id: int, send_id: int):
    return _pdf(*service().vk_sent_pdf(current_user().username, case_id, send_id))
