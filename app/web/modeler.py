"""For the process owner: the deployed procedures, the modeler page (bpmn-js with the properties
panel and the form editor, bundled in /static/build/modeler.js), a version's .bpmn and the form
editor's live preview rendered with the real task-form template.

The modeler works inside a concept (a process owner's private set of changed files over the
deployed bundle): the JSON routes under /beheer/api/concepten create one, save the diagram and
its forms into it (checked on every save, problems per element), and run its scenarios. The
deploy preview page (/beheer/concepten/<id>/in-gebruik-nemen) shows the plan, the replay of the
recorded cases on the new version and deploys with a reason; each case in it links to a page
with only the case's path through the diagram (no form values, no family names)."""
from __future__ import annotations

import hmac
import re

from xml.etree import ElementTree

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, render_template_string,
                   request, session, url_for)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from app import inputs
from app.formdefs import FormDefinitionError
from app.formdefs.definition import parse_definition
from app.service.access import PROCESS_OWNER
from app.service.errors import DeployRefused, InvalidInput, ServiceError

from . import input_guard
from .access_logging import CASE, logs_access
from .auth import current_user, login_required
from .common import service
from .errors import http_error, service_error, status_of
from .labels import EVENTS, ROLES, words
from .security import UNSAFE_METHODS, check_csrf

CSRF_HEADER = "X-CSRFToken"
PREVIEW_KEY = "voorbeeld"
MAX_PREVIEW_BYTES = 512 * 1024
FORM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,119}$")

# Exactly how the task page shows a form (task.html): the same macros, the same classes.
PREVIEW_TEMPLATE = """{% import "_form.html" as forms %}
<form class="formulier" action="#" novalidate>
  <h2>{{ definition.title }}</h2>
  <fieldset class="formulier-velden">{{ forms.fields(definition, {}, None) }}</fieldset>
</form>"""


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
JSON_PREFIX = "/beheer/api/"
MAX_SAVE_BYTES = 4 * 1024 * 1024


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIX) or request.mimetype == "application/json"


def _service_error(exc: ServiceError):
    """JSON routes answer {code, bericht, ...} (a refused diagram: 422 with its elementen); pages
    the Dutch error page."""
    if not _wants_json():
        return service_error(exc)
    status = 422 if isinstance(exc, DeployRefused) else status_of(exc)
    return jsonify(exc.as_dict()), status


def _http_error(exc: HTTPException):
    if not _wants_json():
        return http_error(exc)
    default = exc.description == type(exc).description
    return jsonify(code="http_fout", bericht=(TITLE_WORDS.get(exc.code, "Dit kan niet.") if default else exc.description)), exc.code


TITLE_WORDS = {400: "Dit verzoek kunnen we niet verwerken.", 403: "U heeft hier geen toegang toe: alleen een "
               "procesbeheerder beheert de procedures.", 404: "Niet gevonden.", 405: "Deze actie kan hier niet.",
               413: "Wat u verstuurde is te groot."}

bp.register_error_handler(ServiceError, _service_error)
bp.register_error_handler(HTTPException, _http_error)


def _require_process_owner() -> str:
    user = current_user()
    if PROCESS_OWNER not in (user.rollen or []):
        abort(403)
    return user.username


@bp.get("/beheer/processen")
@login_required
def process_list():
    _require_process_owner()
    return render_template("modeler.html", nav="processen", versions=service().newest_process_versions(),
                           version=None)


@bp.get("/beheer/processen/<process_id>/modeler")
@login_required
def modeler_page(process_id: str):
    """The diagram of the newest version (or ?versie=N), or as a concept (?concept=<id>) has it."""
    username = _require_process_owner()
    wanted = request.args.get("versie", type=int)
    draft_id = request.args.get("concept", type=int)
    version = service().process_version(process_id, wanted)
    draft = service().draft(username, draft_id) if draft_id is not None else None  # NotFound: not yours
    if draft is not None:
        xml_url = url_for("modeler.concept_diagram", draft_id=draft.id, process_id=process_id)
    else:
        xml_url = url_for("modeler.version_xml", process_id=process_id, version=version.version)
    return render_template(
        "modeler.html", nav="processen", versions=None, version=version, draft=draft,
        gelezen_versie=wanted, drafts=service().drafts(username),
        diagram_path=f"processes/{version.file_name}",
        xml_url=xml_url,
        preview_url=url_for("modeler.form_preview"),
        form_url=url_for("modeler.form_definition", form_key="__key__", **({"concept": draft.id} if draft else {})),
        create_url=url_for("modeler.api_create_concept"),
        save_url=url_for("modeler.api_save_files", draft_id=0).replace("/0/", "/__id__/"),
        scenarios_url=url_for("modeler.api_scenarios", draft_id=0).replace("/0/", "/__id__/"),
        run_url=url_for("modeler.api_run_scenario", draft_id=0).replace("/0/", "/__id__/"),
        deploy_url=url_for("modeler.deploy_preview", draft_id=0).replace("/0/", "/__id__/"),
        concept_url=f"/beheer/concepten/__id__",
        versions_url=f"/beheer/processen/{process_id}/versies",
    )


def _concept_tree(username: str, draft_id: int | None):
    return service().draft_tree(username, draft_id)


@bp.get("/beheer/api/concepten/<int:draft_id>/diagrammen/<process_id>.bpmn")
@login_required
def concept_diagram(draft_id: int, process_id: str):
    """A procedure's diagram as the concept has it (the deployed one when the concept leaves it)."""
    username = _require_process_owner()
    file_name = service().process_version(process_id).file_name
    text = _concept_tree(username, draft_id).files.get(f"processes/{file_name}")
    if text is None:
        abort(404)
    return Response(text, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


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
    """A form's definition as its file says it (the editor keeps every property): from the
    concept's tree with ?concept=<id>, else from the deployed bundle."""
    username = _require_process_owner()
    if not FORM_KEY.match(form_key):
        abort(404)
    text = _concept_tree(username, request.args.get("concept", type=int)).files.get(f"forms/{form_key}.json")
    if text is None:
        abort(404)
    # The file's own text: jsonify would sort the keys, and the editor keeps the order a process
    # owner wrote them in.
    return Response(text, mimetype="application/json")


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


# --- concepts, as the modeler page uses them (JSON) -----------------------------------------------

def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Stuur een JSON-object.")
    return body


def _problem_json(problem) -> dict:
    return {"file": getattr(problem, "file", None), "element": getattr(problem, "element", None),
            "element_id": getattr(problem, "element_id", None), "message": getattr(problem, "message", str(problem))}


def _check_json(check) -> dict:
    return {
        "revision": check.revision, "ok": check.ok,
        "problems": [_problem_json(p) for p in check.problems],
        "plan": [{"process_id": i.process_id, "name": i.name, "file_name": i.file_name, "status": i.status,
                  "label": i.label, "current_version": i.current_version, "equal_to": i.equal_to,
                  "changes": i.changes} for i in check.plan],
    }


@bp.post("/beheer/api/concepten")
@login_required
def api_create_concept():
    username = _require_process_owner()
    titel = _json_body().get("titel")
    if not isinstance(titel, str):
        raise InvalidInput("Het concept is niet aangemaakt.", {"titel": ["Geef een titel."]})
    draft = service().create_draft(username, titel)
    return jsonify(id=draft.id, titel=draft.titel, revision=draft.revision,
                   url=f"/beheer/concepten/{draft.id}"), 201


@bp.post("/beheer/api/concepten/<int:draft_id>/bestanden")
@login_required
def api_save_files(draft_id: int):
    """{files: {path: content}, revision}: all files or none; the whole concept is checked after."""
    username = _require_process_owner()
    if request.content_length and request.content_length > MAX_SAVE_BYTES:
        abort(413)
    body = _json_body()
    files, revision = body.get("files"), body.get("revision")
    if (not isinstance(files, dict) or not files
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
        raise InvalidInput("Er is niets opgeslagen.", {"files": ["Stuur de bestanden als {pad: inhoud}."]})
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
        raise InvalidInput("Er is niets opgeslagen.", {"revision": ["De revisie is een geheel getal."]})
    return jsonify(_check_json(service().save_draft_files(username, draft_id, files, revision)))


@bp.get("/beheer/api/concepten/<int:draft_id>/scenarios")
@login_required
def api_scenarios(draft_id: int):
    username = _require_process_owner()
    procedure = request.args.get("procedure")
    found, problems = service().draft_scenarios(username, draft_id)
    return jsonify(
        scenarios=[{"name": s.name, "process_id": s.process_id, "file": s.file}
                   for s in found if not procedure or s.process_id == procedure],
        problems=[_problem_json(p) for p in problems])


@bp.post("/beheer/api/concepten/<int:draft_id>/scenarios/uitvoeren")
@login_required
def api_run_scenario(draft_id: int):
    username = _require_process_owner()
    naam = _json_body().get("naam")
    if not isinstance(naam, str) or not naam.strip():
        raise InvalidInput("Er is geen scenario uitgevoerd.", {"naam": ["Kies een scenario."]})
    result = service().run_draft_scenario(username, draft_id, naam)
    return jsonify(name=result.name, process_id=result.process_id, ok=result.ok, path=result.path,
                   end_state=result.end_state, problems=result.problems)


# --- deploy preview and deploy ----------------------------------------------------------------------

OUTCOME_WORDS = {
    "ander_pad": "zou een ander pad nemen",
    "element_weg": "staat bij een element dat niet meer bestaat",
    "fout": "zou vastlopen met een fout",
}


def _preview_page(draft_id: int, status: int = 200, reden: str = "", refused=None, procedure: str | None = None):
    username = _require_process_owner()
    draft = service().draft(username, draft_id)
    check = service().check_draft(username, draft_id)
    previews, preview_problems = [], []
    try:
        # Also beside problems (a failing scenario): which cases the change would touch helps to fix it.
        previews = service().preview_draft(username, draft_id)
    except DeployRefused as exc:
        preview_problems = [p for p in exc.items if p not in check.problems]
    refused = list(refused or [])
    fouten = {"reden": [p.message for p in refused if getattr(p, "file", None) == "deploy"]}
    refused = [p for p in refused if getattr(p, "file", None) != "deploy"]
    names = service().process_names()
    return render_template(
        "concept_voorbeeld.html", nav="processen", draft=draft, check=check, previews=previews,
        problemen=list(check.problems) + list(preview_problems), geweigerd=refused, fouten=fouten, reden=reden,
        procedure=procedure or request.args.get("procedure") or "", namen=names, uitkomsten=OUTCOME_WORDS,
        terugzetten=[i for i in check.plan if i.status == "gelijk_aan_oudere"],
        wijzigt=[i for i in check.plan if i.status != "geen_wijziging"],
    ), status


@bp.get("/beheer/concepten/<int:draft_id>/in-gebruik-nemen")
@login_required
def deploy_preview(draft_id: int):
    return _preview_page(draft_id)


# The one way a concept is deployed: from the page that showed its plan and preview.
@bp.post("/beheer/concepten/<int:draft_id>/in-gebruik-nemen")
@login_required
def deploy_confirm(draft_id: int):
    username = _require_process_owner()
    reden = request.form.get("reden", "")
    procedure = request.form.get("procedure", "")
    terugzetten = request.form.get("terugzetten") == "ja"
    try:
        deployed = service().deploy_draft(username, draft_id, reden, terugzetten=terugzetten)
    except DeployRefused as refused:
        # Nothing deployed, the concept kept; the reason as typed.
        return _preview_page(draft_id, 422, reden=reden, refused=refused.items, procedure=procedure)
    names = service().process_names()
    new = [d for d in deployed if d.status in ("nieuw", "gewijzigd", "teruggezet")]
    for d in new:
        restored = f" (teruggezet naar de inhoud van versie {d.teruggezet_van})" if d.teruggezet_van else ""
        flash(f"Versie {d.version} van {names.get(d.process_id, d.process_id)} in gebruik genomen{restored}.", "succes")
    if not new:
        flash("In gebruik genomen; geen procedure kreeg een nieuwe versie.", "succes")
    target = next((d.process_id for d in new if d.process_id == procedure), None) or (new[0].process_id if new else procedure)
    if target:
        try:
            return redirect(url_for("versions.version_list", process_id=target))
        except BuildError:  # the version list is not there (yet): the modeler's list then
            pass
    return redirect(url_for("modeler.process_list"))


# --- a case's path, for the process owner (no form values, no names of family members) -------------

def _elements(xml: str) -> dict[str, str]:
    """{id: name or ''} of every element of a diagram."""
    try:
        root = ElementTree.fromstring(xml.encode("utf-8"))
    except ElementTree.ParseError:
        return {}
    return {node.get("id"): node.get("name") or "" for node in root.iter() if node.get("id")}


def _bundle(version, all_versions) -> list:
    """The version and the versions of every process it calls (as deployed with it), transitively."""
    by_sha = {(v.process_id, v.sha256): v for v in all_versions}
    found, queue, seen = [version], [version], {version.process_id}
    while queue:
        for process_id, sha in (queue.pop(0).called_sha256 or {}).items():
            called = by_sha.get((process_id, sha))
            if called is not None and process_id not in seen:
                seen.add(process_id)
                found.append(called)
                queue.append(called)
    return found


@bp.get("/beheer/processen/<process_id>/casussen/<int:case_id>/pad")
@login_required
@logs_access("procespad", CASE)
def case_path(process_id: str, case_id: int):
    """Which elements a case passed in each instance of this procedure (and the sub-processes it
    called, each in the version it ran), and its events: type, task, moment and the role of who
    acted. The event data (the answers) is never shown."""
    _require_process_owner()
    case = service().case(case_id)
    instances = [i for i in case.instances if i.process_id == process_id]
    if not instances:
        abort(404)
    all_versions = service().process_versions()
    versions_by_id = {v.id: v for v in all_versions}
    history = service().case_history(case_id)
    roles: dict[str, str] = {}

    def role_of(actor: str, actor_type: str) -> str:
        if actor_type != "user":
            return "systeem"
        if actor not in roles:
            try:
                user = service().user(actor)
                roles[actor] = ", ".join(ROLES.get(r, r) for r in (user.rollen or [])) or "–"
            except ServiceError:
                roles[actor] = "–"
        return roles[actor]

    shown = []
    for instance in instances:
        version = versions_by_id.get(instance.process_version_id)
        bundle = [(v, _elements(v.xml)) for v in _bundle(version, all_versions)] if version else []
        path, lines = [], []
        for event in history:
            if event.instance_id != instance.id:
                continue
            data = event.data or {}
            ids = [event.task_bpmn_id] if event.task_bpmn_id else []
            ids += [step.get("bpmn_id") for step in data.get("steps", []) if isinstance(step, dict) and step.get("bpmn_id")]
            path += [i for i in ids if i not in path]
            task = next((names[event.task_bpmn_id] for _, names in bundle if names.get(event.task_bpmn_id)), None)
            lines.append({"seq": event.seq, "type": EVENTS.get(event.type, words(event.type)),
                          "taak": task or (words(event.task_bpmn_id) if event.task_bpmn_id else ""),
                          "at": event.at, "rol": role_of(event.actor, event.actor_type)})
        diagrams = []
        for v, names in bundle:
            passed = [i for i in path if i in names]
            if passed or v is version:
                diagrams.append({"version": v, "path": passed, "naam": v.name or v.process_id,
                                 "xml_url": url_for("modeler.version_xml", process_id=v.process_id, version=v.version)})
        shown.append({"instance": instance, "version": version, "diagrams": diagrams, "lines": lines})
    return render_template("casus_pad.html", nav="processen", referentie=case.referentie, process_id=process_id,
                           naam=service().process_names().get(process_id, process_id), instances=shown)
