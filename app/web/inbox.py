"""The werkbak: my tasks, tasks for my roles (claim / release), tasks I completed."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.service.access import require_may_act
from app.service.inbox import DEADLINES, MAX_PAGE, TABS, BadCursor

from .access_logging import listed, logs_access
from .auth import current_user, login_required, safe_next
from .blueprint import page_blueprint
from .common import gemeenten, process_names, service

bp = page_blueprint("inbox", __name__)

PER_PAGE = 25
TAB_LABELS = {"mijn": "Mijn taken", "rol": "Taken voor mijn rollen", "afgerond": "Afgerond"}
SORTS = {"deadline": "Deadline (eerst)", "nieuw": "Nieuwste eerst"}


def _filters() -> dict:
    args = request.args
    tab = args.get("tab", "mijn")
    deadline = args.get("deadline", "")
    try:
        page = min(max(1, int(args.get("pagina", "1"))), MAX_PAGE)
    except ValueError:
        page = 1
    return {
        "tab": tab if tab in TABS else "mijn",
        "procedure": args.get("procedure", "").strip(),
        "gemeente": args.get("gemeente", "").strip(),
        "deadline": deadline if deadline in DEADLINES else "",
        "zoek": args.get("zoek", "").strip()[:100],
        "sortering": args.get("sortering") if args.get("sortering") in SORTS else "deadline",
        "pagina": page,
    }


def inbox_url(filters: dict, **changes) -> str:
    params = {**filters, **changes}
    params = {k: v for k, v in params.items() if v not in ("", None) and not (k == "pagina" and v == 1)}
    return url_for("inbox.inbox", **params)


@bp.get("/werkbak")
@login_required
@logs_access("werkbak")
def inbox():
    user = current_user()
    f = _filters()
    query = dict(tab=f["tab"], procedure=f["procedure"] or None, gemeente=f["gemeente"] or None,
                 deadline=f["deadline"] or None, search=f["zoek"] or None, sort=f["sortering"], page=f["pagina"],
                 per_page=PER_PAGE)
    # "Volgende pagina" and "Vorige" carry a cursor (keyset: the page continues after or before a
    # row); `pagina` then only numbers the page. A cursor of another sorting counts as none.
    cursor = request.args.get("na") or request.args.get("voor")
    try:
        result = service().inbox(user.username, cursor=cursor[:200] if cursor else None, **query)
    except BadCursor:
        result = service().inbox(user.username, **{**query, "page": 1})
    # What the user's cases wait for outside the product; with the open work, not with what is done.
    waiting = service().waiting_cases(user.username) if f["tab"] != "afgerond" else []
    listed([row.case.id for row in result.rows] + [w.case.id for w in waiting])
    return render_template(
        "inbox.html", nav="werkbak", result=result, waiting=waiting, filters=f, tabs=TAB_LABELS, sorts=SORTS,
        procedures=sorted(process_names().items(), key=lambda item: item[1].lower()),
        gemeenten=gemeenten(), inbox_url=inbox_url, here=request.full_path.rstrip("?"),
        may_claim=bool(set(user.rollen or []) - {"auditor", "procesbeheerder", "beheerder"}),
    )


@bp.post("/taken/<int:task_id>/claimen")
@login_required
def claim(task_id: int):
    service().task_for(current_user().username, task_id)  # a task one may not see does not exist: 404
    require_may_act(current_user())  # an auditor reads, never acts: 403
    task = service().claim(task_id, current_user().username)
    flash(f"U heeft de taak '{task.name}' opgepakt; u vindt hem onder Mijn taken.", "info")
    return redirect(safe_next(request.form.get("terug"), url_for("tasks.task_page", task_id=task_id)))


@bp.post("/taken/<int:task_id>/vrijgeven")
@login_required
def unclaim(task_id: int):
    service().task_for(current_user().username, task_id)
    require_may_act(current_user())
    task = service().unclaim(task_id, current_user().username)
    flash(f"De taak '{task.name}' is vrijgegeven voor iedereen met de rol.", "info")
    return redirect(safe_next(request.form.get("terug"), url_for("inbox.inbox")))
