"""Who read what (NEN 7513): the reason of access an auditor or beheerder gives before reading a
case, and /audit/toegang where they search the access log (with a CSV export of the selection)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from flask import Response, abort, redirect, render_template, request, url_for

from app.engine.clock import TZ
from app.service.access_log import OTHER, REASON_ROLES, REASONS, Filters
from app.service.errors import InvalidInput

from .access_logging import listed, logs_access, web_session_id
from .auth import current_user, login_required, safe_next
from .blueprint import page_blueprint
from .common import persoon, service
from .labels import local, role

bp = page_blueprint("audit_access", __name__)

PER_PAGE = 50
CSV_MAX = 100_000
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _require_reader():
    if not REASON_ROLES & set(current_user().rollen or []):
        abort(403)


@bp.route("/casussen/<int:case_id>/reden", methods=["GET", "POST"])
@login_required
def reason(case_id: int):
    """Asked once per session and case before the first page of it."""
    _require_reader()
    volgende = safe_next(request.values.get("volgende"), url_for("cases.case_page", case_id=case_id))
    case = service().case(case_id)  # 404 when there is no such case
    values, errors, message, status = {}, {}, None, 200
    if request.method == "POST":
        values = {"doel": request.form.get("doel", ""), "toelichting": request.form.get("toelichting", "")}
        try:
            service().give_access_reason(current_user().username, case_id, web_session_id(), request.remote_addr,
                                         values["doel"], values["toelichting"], must_see=False)
        except InvalidInput as exc:
            errors, message, status = exc.errors or {}, exc.message, 422
        else:
            return redirect(volgende)
    return render_template("reden_inzage.html", nav="casussen", case=case, volgende=volgende, reasons=REASONS,
                           other=OTHER, values=values, errors=errors, message=message), status


def _date(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _selection() -> tuple[dict, Filters, list[str]]:
    """The filters as typed, as the service takes them, and what could not be read."""
    args = request.args
    shown = {"casus": (args.get("casus") or "").strip()[:80], "persoon": (args.get("persoon") or "").strip()[:80],
             "van": (args.get("van") or "").strip()[:10], "tot": (args.get("tot") or "").strip()[:10]}
    problems = []
    case_id = None
    if shown["casus"]:
        case_id = service().case_id_by_reference(shown["casus"])
        if case_id is None:
            problems.append(f"Casus '{shown['casus']}' bestaat niet.")
            case_id = 0  # nothing matches
    van, tot = _date("van"), _date("tot")
    for key, value in (("van", van), ("tot", tot)):
        if shown[key] and value is None:
            problems.append(f"'{shown[key]}' is geen datum (dd-mm-jjjj).")
    filters = Filters(case_id=case_id, username=shown["persoon"] or None,
                      van=datetime.combine(van, time(0), TZ) if van else None,
                      tot=datetime.combine(tot + timedelta(days=1), time(0), TZ) if tot else None)
    return shown, filters, problems


def _line(row, referentie) -> dict:
    return {
        "id": row.id, "moment": local(row.at).strftime("%d-%m-%Y %H:%M:%S"), "gebruiker": row.username,
        "naam": persoon(row.username), "rollen": ", ".join(role(r) for r in row.rollen.split(",") if r),
        "case_id": row.case_id, "casus": referentie or (str(row.case_id) if row.case_id else ""), "wat": row.wat,
        "adres": row.client or "", "betrokken": "" if row.case_id is None else "ja" if row.betrokken else "nee",
        "reden": REASONS.get(row.doel, row.doel or ""), "toelichting": row.toelichting or "",
    }


@bp.get("/audit/toegang")
@login_required
@logs_access("toegangslog")
def access_log():
    _require_reader()
    shown, filters, problems = _selection()
    try:
        page = max(1, min(int(request.args.get("pagina", "1")), 100_000))
    except ValueError:
        page = 1
    found = service().access_log_search(current_user().username, filters, offset=(page - 1) * PER_PAGE,
                                        limit=PER_PAGE)
    listed([filters.case_id] if filters.case_id else [])
    pages = max(1, -(-found.total // PER_PAGE))
    return render_template("toegangslog.html", nav="toegang", lines=[_line(*r) for r in found.rows], shown=shown,
                           problems=problems, total=found.total, page=page, pages=pages,
                           query={k: v for k, v in shown.items() if v})


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.get("/audit/toegang.csv")
@login_required
@logs_access("toegangslog-export")
def access_log_csv():
    _require_reader()
    shown, filters, problems = _selection()
    found = service().access_log_search(current_user().username, filters, limit=CSV_MAX)
    listed([filters.case_id] if filters.case_id else [])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    columns = ["moment", "gebruiker", "naam", "rollen", "casus", "wat", "adres", "betrokken", "reden", "toelichting"]
    writer.writerow(columns)
    for row in found.rows:
        line = _line(*row)
        writer.writerow([_cell(line[c]) for c in columns])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="toegangslog.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
