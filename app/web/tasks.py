"""The task page: the task's form, its documentation and the case beside it; save a draft,
complete, reassign to a colleague. A completed task shows what was submitted, read-only."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app import inputs
from app.formdefs import FormDefinitionError
from app.service.access import case_roles
from app.service import veiligheidskaart as vk
from app.service.errors import CaseProblem, Conflict, InvalidInput, PermissionDenied, ProcessFailed
from app.service.task_rules import CARD_BESIDE_FORMS
from app.service.users import check_may_work

from .access_logging import TASK, logs_access
from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import persoon, service
from .formdata import form_to_data
from .input_guard import checks_own_form

bp = page_blueprint("tasks", __name__)

INVALID = "Het formulier is nog niet goed ingevuld. Bij de velden staat wat er mist of niet klopt; wat u typte staat er nog."


def may_work(user, task) -> bool:
    if task.state != "open" or not case_roles(user):
        return False
    try:
        check_may_work(user, task)
    except PermissionDenied:
        return False
    return True


def _definition(task):
    try:
        return service().task_form(task)  # people pickers list the users who may be chosen in this case
    except FormDefinitionError:
        return None


def _render(task, case, values, *, errors=None, status=200, message=None, draft=False,
            reassign_errors=None, reassign_values=None):
    user = current_user()
    works = may_work(user, task)
    may_reassign = task.state == "open" and bool(case_roles(user)) and (works or case.inbrenger == user.username)
    colleagues = []
    if may_reassign and task.role:
        colleagues = [c for c in service().colleagues_with_role(task.role, task.case_id)
                      if c.username not in (user.username, task.assignee)]
    submitted = service().submitted(user.username, task.id) if task.state == "completed" else None
    read_only = submitted is not None and status == 200  # after a refused submission, what was typed stays
    return render_template(
        "task.html", nav="werkbak", task=task, case=case, submitted=submitted,
        definition=None if read_only else _definition(task), values=values or {},
        errors=errors, message=message, may_work=works, draft=draft, may_reassign=may_reassign,
        colleagues=colleagues, reassign_errors=reassign_errors or {}, reassign_values=reassign_values or {},
        keuzes=service().regional_choices_for_task(task.documentation, task.form_key),
        **_card(task),
    ), status


def _card(task) -> dict:
    """The current card beside the steps that judge or edit it (task_rules.CARD_BESIDE_FORMS)."""
    if task.form_key not in CARD_BESIDE_FORMS:
        return {"kaart_naast": False}
    kaart = service().task_card(task)
    return {"kaart_naast": True, "kaart": kaart, "VK_SECTIONS": vk.SECTIONS,
            "kaart_status": vk.STATUS_LABELS.get(kaart.status, kaart.status).capitalize() if kaart else ""}


@bp.get("/taken/<int:task_id>")
@login_required
@logs_access("taakpagina", TASK)
def task_page(task_id: int):
    task, case, draft = service().task_for(current_user().username, task_id)
    return _render(task, case, draft if draft is not None else service().task_prefill(task, case), draft=draft is not None)


@bp.post("/taken/<int:task_id>")
@checks_own_form
@login_required
def task_post(task_id: int):
    username = current_user().username
    task, case, _ = service().task_for(username, task_id)  # someone else's task: 404 before anything else
    definition = _definition(task)
    data = form_to_data(definition, request.form) if definition else {}
    if request.form.get("actie") == "opslaan":
        refused = inputs.problems(data)  # a draft is not validated, but is shown again: no bad text in it
        if refused:
            return _render(task, case, data, errors=refused, status=422, message=INVALID)
        service().save_draft(task_id, data, username)
        flash("Concept opgeslagen. U vindt het hier terug tot u de taak afrondt.", "info")
        return redirect(url_for("tasks.task_page", task_id=task_id))
    try:
        service().complete_task(task_id, data, username)
    except InvalidInput as exc:
        return _render(task, case, data, errors=exc.errors or {}, status=422, message=INVALID)
    except Conflict as exc:
        return _render(task, case, data, status=409, message=exc.message + " Wat u invulde staat hieronder nog.")
    except ProcessFailed as exc:  # a CaseProblem (incident recorded) says it all in Dutch already
        return _render(task, case, data, status=500, message=exc.message if isinstance(exc, CaseProblem)
                       else f"De procedure kon niet verder: {exc.message} Er is niets opgeslagen.")
    following = service().next_task_for(case.id, username)
    if following is not None:
        flash(f"Taak '{task.name}' afgerond. Dit is uw volgende taak in casus {case.referentie}.", "succes")
        return redirect(url_for("tasks.task_page", task_id=following.id))
    flash(f"Taak '{task.name}' afgerond.", "succes")
    return redirect(url_for("inbox.inbox"))


@bp.post("/taken/<int:task_id>/overdragen")
@login_required
def reassign(task_id: int):
    username = current_user().username
    task, case, draft = service().task_for(username, task_id)
    to = request.form.get("naar", "").strip()
    reason = request.form.get("reden", "")
    try:
        service().reassign(task_id, to, reason, username)
    except InvalidInput as exc:
        return _render(task, case, draft, draft=draft is not None, status=422, reassign_errors=exc.errors or {},
                       reassign_values={"naar": to, "reden": reason},
                       message="De taak is niet overgedragen: " + exc.message)
    flash(f"Taak '{task.name}' overgedragen aan {persoon(to)}.", "succes")
    return redirect(url_for("inbox.inbox"))
