"""For the process owner: the deployed procedures, the modeler page (bpmn-js with the properties
panel and the form editor, bundled in /static/build/modeler.js), a version's .bpmn and the form
editor's live preview rendered with the real task-form template."""
from __future__ import annotations

import hmac
import re

from flask import Blueprint, Response, abort, jsonify, render_template, render_template_string, request, session, url_for

from app import inputs
from app.formdefs import FormDefinitionError
from app.formdefs.definition import parse_definition
from app.service.access import PROCESS_OWNER
from app.service.errors import ServiceError

from . import input_guard
from .auth import current_user, login_required
from .common import service
from .errors import service_error
from .security import UNSAFE_METHODS, check_csrf

CSRF_HEADER = "X-CSRFToken"
PREVIEW_KEY = "voorbeeld"
MAX_PREVIEW_BYTES = 512 * 1024
FORM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,119}$")

# Exactly how the task page shows a form (task.html): the same macros, the same classes.
PREVIEW_TEMPLATE = """{% import "_form.html" as forms %}
<div class="formulier">
  <h2>{{ definition.title }}</h2>
  <fieldset class="formulier-velden">{{ forms.fields(definition, {}, None) }}</fieldset>
</div>"""


def _check_csrf() -> None:
    """As every page's check (security.check_csrf), but the form editor posts JSON: its token
    comes in the X-CSRFToken header."""
    if request.method not in UNSAFE_METHODS or request.mimetype != "application/json":
        return check_csrf()
    expected = session.get("_csrf")
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not sent or not hmac.compare_digest(str(expected).encode(), str(sent).encode()):
        abort(400, description="Het formulier is verlopen of niet vanaf deze site verstuurd. "
                               "Laad de pagina opnieuw en probeer het nog eens.")


# page_blueprint() without its form-field CSRF check (replaced by the one above).
bp = Blueprint("modeler", __name__)
bp.record_once(inputs.use_id_converter)
bp.before_request(input_guard.check_request)
bp.before_request(_check_csrf)
bp.register_error_handler(ServiceError, service_error)


def _require_process_owner():
    if PROCESS_OWNER not in (current_user().rollen or []):
        abort(403)


@bp.get("/beheer/processen")
@login_required
def process_list():
    _require_process_owner()
    return render_template("modeler.html", nav="processen", versions=service().newest_process_versions(),
                           version=None)


@bp.get("/beheer/processen/<process_id>/modeler")
@login_required
def modeler_page(process_id: str):
    _require_process_owner()
    wanted = request.args.get("versie", type=int)
    version = service().process_version(process_id, wanted)
    return render_template(
        "modeler.html", nav="processen", versions=None, version=version,
        xml_url=url_for("modeler.version_xml", process_id=process_id, version=version.version),
        preview_url=url_for("modeler.form_preview"),
        form_url=url_for("modeler.form_definition", form_key="__key__"),
    )


@bp.get("/beheer/processen/<process_id>/versies/<int:version>.bpmn")
@login_required
def version_xml(process_id: str, version: int):
    _require_process_owner()
    row = service().process_version(process_id, version)
    filename = f"{row.process_id}_v{row.version}.bpmn"
    return Response(row.xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/beheer/formulieren/<form_key>.json")
@login_required
def form_definition(form_key: str):
    """A form's definition as its file says it (the editor keeps every property)."""
    _require_process_owner()
    forms = service().ctx.forms
    if not FORM_KEY.match(form_key) or form_key not in forms:
        abort(404)
    path = forms.folder / f"{form_key}.json"
    if not path.is_file():
        abort(404)
    # The file's own text (the registry checked it): jsonify would sort the keys, and the editor
    # keeps the order a process owner wrote them in.
    return Response(path.read_text(encoding="utf-8"), mimetype="application/json")


def _problem(message: str) -> dict:
    """A definition error as {field, message}: the field is named after 'key.field:' when it is."""
    match = re.match(rf"^{PREVIEW_KEY}(?:\.([a-z][a-z0-9_]*))?: (.*)$", message, re.S)
    if match:
        return {"field": match.group(1), "message": match.group(2)}
    return {"field": None, "message": message}


@bp.post("/beheer/formulieren/voorbeeld")
@login_required
def form_preview():
    _require_process_owner()
    if request.content_length and request.content_length > MAX_PREVIEW_BYTES:
        return jsonify(problems=[{"field": None, "message": "Het formulier is te groot voor een voorbeeld."}]), 413
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("definition"), dict):
        return jsonify(problems=[{"field": None, "message": "Stuur een formulierdefinitie als JSON: {\"definition\": {...}}."}]), 400
    raw = body["definition"]
    fields = raw.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        return jsonify(problems=[{"field": None, "message": "Het formulier heeft een lijst met velden nodig."}]), 422
    # parse_definition names a bad field only by its place; with the names known, say which one.
    problems = []
    for f in fields:
        try:
            # show_if and working_day name other fields: the whole form's parse below checks them.
            alone = {k: v for k, v in f.items() if k not in ("show_if", "working_day")}
            parse_definition(PREVIEW_KEY, {"title": "x", "fields": [alone]})
        except FormDefinitionError as exc:
            problems.append({"field": f.get("name") if isinstance(f.get("name"), str) else None,
                             "message": _problem(str(exc))["message"]})
    if not problems:
        try:
            definition = parse_definition(PREVIEW_KEY, raw)
        except FormDefinitionError as exc:
            problems.append(_problem(str(exc)))
    if problems:
        return jsonify(problems=problems), 422
    return jsonify(html=render_template_string(PREVIEW_TEMPLATE, definition=definition))
