"""The overview (/overzicht): deadline compliance, durations and end states for the VeiligheidsTeam,
process owners and auditors (and beheerders), the cases past a deadline behind it, and the
heatmap on a diagram (its numbers as JSON, drawn by static/js/heatmap.js: no inline script)."""
from __future__ import annotations

import json
from pathlib import Path

from flask import current_app, jsonify, render_template, request

from app.service.insight.overview import Insight
from app.service.insight.periods import GRANULARITIES, local_date, parse

from .access_logging import listed, logs_access
from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import gemeenten, process_names, service

bp = page_blueprint("insight", __name__)

TARGET_NAMES = {"tm1": "Interventiegesprek binnen de streeftermijn", "tm2": "Definitieve Veiligheidskaart",
                "tm3": "Warme overdracht (P5)", "overig": "Andere termijn"}


def _insight() -> Insight:
    return Insight(service().ctx)


def _filters():
    today = local_date(service().ctx.now())
    return parse(request.args, today, gemeenten=dict(gemeenten()), procedures=process_names())


def _explanations() -> dict:
    """The regional settings' Dutch explanations (processes/parameters_uitleg.json)."""
    path = Path(service().ctx.processes_dir) / "parameters_uitleg.json"
    try:
        return {k: v.get("uitleg", "") for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError):
        return {}


def _eventlog_url() -> str | None:
    """The event-log download, where that part of the overview is installed."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/overzicht/eventlog":
            return rule.rule
    return None


@bp.app_template_filter("duur")
def duur(seconds) -> str:
    """A duration in words: '2 d 4 u', '3 u 10 min', '12 min'."""
    if seconds is None:
        return "–"
    minutes = int(round(float(seconds) / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} u"
    if hours:
        return f"{hours} u {minutes} min"
    return f"{minutes} min"


@bp.get("/overzicht")
@login_required
def overview():
    insight = _insight()
    filters = _filters()
    view = insight.overview(current_user().username, filters)
    return render_template("overzicht.html", nav="overzicht", view=view, filters=filters,
                           granularities=GRANULARITIES, gemeenten=gemeenten(), procedures=process_names(),
                           uitleg=_explanations(), args=filters.as_args(), eventlog_url=_eventlog_url())


@bp.get("/overzicht/doorlooptijden")
@login_required
def durations():
    filters = _filters()
    view = _insight().durations(current_user().username, filters)
    return render_template("overzicht_doorlooptijden.html", nav="overzicht", view=view, filters=filters,
                           granularities=GRANULARITIES, gemeenten=gemeenten(), procedures=process_names(),
                           args=filters.as_args(), eventlog_url=_eventlog_url())


@bp.get("/overzicht/termijnen")
@login_required
@logs_access("overzicht termijnen")
def late_cases():
    """The cases with an open deadline that passed (those the reader may see), logged as a case list."""
    filters = _filters()
    target = request.args.get("doel") or None
    if target not in (None, *TARGET_NAMES):
        target = None
    result = _insight().late_cases(current_user().username, filters, target)
    listed(row.case_id for row in result.rows)
    return render_template("overzicht_termijnen.html", nav="overzicht", result=result, filters=filters,
                           target=target, target_names=TARGET_NAMES, args=filters.as_args())


@bp.get("/overzicht/heatmap")
@login_required
def heatmap_page():
    insight = _insight()
    filters = _filters()
    choices = insight.heatmap_choices(current_user().username)
    # 'keuze' is the form's "process_id:version"; 'diagram' and 'versie' the same, from a link.
    chosen, _, number = (request.args.get("keuze") or "").partition(":")
    chosen = chosen or request.args.get("diagram") or _default_diagram(choices)
    version = int(number) if number.isdigit() else request.args.get("versie", type=int)
    newest = next((c.version for c in choices if c.process_id == chosen), None)
    data_args = {**filters.as_args(), "diagram": chosen, "versie": version or newest}
    return render_template("overzicht_heatmap.html", nav="overzicht", choices=choices, chosen=chosen,
                           selected_key=f"{chosen}:{version or newest}", filters=filters,
                           granularities=GRANULARITIES, gemeenten=gemeenten(), data_args=data_args,
                           args=filters.as_args(), eventlog_url=_eventlog_url())


def _default_diagram(choices) -> str:
    """P0 when deployed (where most cases start), else the first procedure."""
    ids = [c.process_id for c in choices]
    return "p0_consultatie_advies" if "p0_consultatie_advies" in ids else (ids[0] if ids else "")


@bp.get("/overzicht/heatmap.json")
@login_required
def heatmap_data():
    filters = _filters()
    process_id = (request.args.get("diagram") or "").strip()[:120]
    version = request.args.get("versie", type=int)
    return jsonify(_insight().heatmap(current_user().username, process_id, version, filters))
