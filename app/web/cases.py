"""Cases: the list of cases one may see, the case page with its diagrams and history, starting a
new case, and recording a message from outside (the parents' reaction) that a case waits for."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from app.formdefs import FormDefinitionError
from app.service.access import require_may_act
from app.service.errors import InvalidInput, PermissionDenied
from app.service.messages import OWN_ACTIONS

from .access_logging import CASE, listed, logs_access
from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service
from .formdata import form_to_data
from .input_guard import checks_own_form
from .playback import playback_json

bp = page_blueprint("cases", __name__)


@bp.get("/casussen")
@login_required
@logs_access("casuslijst")
def case_list():
    search = request.args.get("zoek", "").strip()[:100]
    rows = service().visible_cases(current_user().username, search=search or None)
    listed((row.id for row in rows), "zoekresultaat" if search else None)
    return render_template("cases.html", nav="casussen", cases=rows, zoek=search)


@bp.get("/casussen/<int:case_id>")
@login_required
@logs_access("casuspagina", CASE)
def case_page(case_id: int):
    username = current_user().username
    view = service().case_view(username, case_id)
    if view.case.vernietigd_op is not None:  # a tombstone (app/service/retention.py): nothing else to show
        return render_template("case_destroyed.html", nav="casussen", case=view.case)
    # The timeline (app/service/timeline.py), narrowed by ?procedure=&persoon=&soort= (all combinable).
    filters = {key: request.args.get(key, "").strip()[:120] for key in ("procedure", "persoon", "soort")}
    timeline, filter_options = service().timeline(username, case_id, filters)
    # Also the parents' reaction after the sending day: it is never refused for being late.
    receivable = service().receivable_messages(username, case_id)
    waiting = [(name, title) for name, title, _ in receivable if name not in OWN_ACTIONS]
    actions = [(name, title) for name, title, _ in receivable if name in OWN_ACTIONS]
    return render_template("case.html", nav="casussen", view=view, case=view.case, waiting=waiting, actions=actions,
                           timeline=timeline, filters=filters, filter_options=filter_options)


@bp.get("/casussen/<int:case_id>/diagrammen.json")
@login_required
@logs_access("diagrammen", CASE)
def case_diagrams(case_id: int):
    view = service().case_view(current_user().username, case_id)
    return jsonify(diagrammen=[
        {"instantie": item.instance.id, "process_id": d.process_id, "naam": d.name, "versie": d.version,
         "xml": d.xml, "afgerond": d.completed, "actief": d.active, "gesignaleerd": d.signalled}
        for item in view.instances for d in item.diagrams
    ])


@bp.get("/casussen/<int:case_id>/afspelen.json")
@login_required
@logs_access("afspelen", CASE)
def case_playback(case_id: int):
    """The player on the case page: the case at every recorded event, as replay reproduces it."""
    return jsonify(playback_json(service().playback(current_user().username, case_id)))


def _start_form(version):
    try:
        return service().start_form(version, current_user().username)
    except FormDefinitionError:
        abort(500)


@bp.route("/casussen/nieuw", methods=["GET", "POST"])
@checks_own_form
@login_required
def new_case():
    username = current_user().username
    startable = {v.process_id: v for v in service().startable_processes(username)}
    if not startable:
        raise PermissionDenied("U kunt met uw rol(len) geen casus starten.")
    chosen = request.values.get("procedure") or (next(iter(startable)) if len(startable) == 1 else None)
    if chosen is None:
        return render_template("new_case.html", nav="nieuw", startable=startable.values(), version=None)
    version = startable.get(chosen)
    if version is None:
        abort(404)
    definition = _start_form(version)
    if request.method == "GET":
        return render_template("new_case.html", nav="nieuw", startable=startable.values(), version=version,
                               definition=definition, values={}, errors=None)
    data = form_to_data(definition, request.form)
    try:
        case = service().start_case(version.process_id, data, username)
    except InvalidInput as exc:
        return render_template("new_case.html", nav="nieuw", startable=startable.values(), version=version,
                               definition=definition, values=data, errors=exc.errors or {},
                               message="De casus is nog niet gestart: " + exc.message), 422
    flash(f"Casus {case.referentie} is gestart.", "succes")
    return redirect(url_for("cases.case_page", case_id=case.id))


@bp.route("/casussen/<int:case_id>/berichten/<name>", methods=["GET", "POST"])
@checks_own_form
@login_required
@logs_access("berichtformulier", CASE)
def message(case_id: int, name: str):
    username = current_user().username
    case = service().case_for(username, case_id)  # 404 when the case is not theirs
    if request.method == "POST":
        require_may_act(current_user())  # an auditor reads, never acts: 403 whatever the message
    receivable = {n: late for n, _, late in service().receivable_messages(username, case_id)}
    if name not in receivable:
        abort(404)
    definition = service().message_form(username, case_id, name)
    page = dict(nav="casussen", case=case, name=name, definition=definition, late=receivable[name])
    if request.method == "GET":
        return render_template("message.html", **page, values={}, errors=None)
    data = form_to_data(definition, request.form)
    try:
        delivered = service().deliver_message_for(username, case_id, name, data)
    except InvalidInput as exc:
        return render_template("message.html", **page, values=data, errors=exc.errors or {},
                               message=exc.message), 422
    flash(_delivered_text(definition.title, delivered), "succes")
    return redirect(url_for("cases.case_page", case_id=case_id))


def _delivered_text(title: str, delivered) -> str:
    text = f"Vastgelegd: {title}."
    if delivered.vk_versie:
        text += f" De Veiligheidskaart heeft nu versie {delivered.vk_versie}"
        text += (", die opnieuw is verstuurd aan de ontvangers van de definitieve kaart en de voorzitter."
                 if delivered.opnieuw_verstuurd else ".")
    return text
