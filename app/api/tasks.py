"""Tasks: the inbox with its filters, one task with its form, and acting on it."""
from __future__ import annotations

from flask.views import MethodView

from app.formdefs import to_json_schema
from app.service import NotFound
from app.service.inbox import BadCursor

from .access_logging import HEADER_DOCS, logs_access
from .auth import current_username, require_may_act, service
from .blueprint import Blueprint
from .errors import ApiError
from .schemas import (
    AssignSchema,
    CompletedSchema,
    FormDataSchema,
    InboxPageSchema,
    TaskDetailSchema,
    TaskQuerySchema,
    TaskSchema,
)

blp = Blueprint("api_tasks", __name__, url_prefix="/api/tasks", description="Taken (de werkbak)")

NOT_VISIBLE = "Taak {id} bestaat niet of is niet voor u."
NOT_YOURS = "U mag deze taak niet doen (andere rol, van een ander), of u bent auditor"


def _require_visible_for_acting(task_id: int) -> None:
    """A task someone may act on (or be told why not): their own or their roles' (as on the task
    page), or one of a case they are involved in (its page lists the case's open tasks). Anything
    else does not exist for them: 404, whatever the task's state, so nothing leaks."""
    username = current_username()
    if service().sees_task(username, task_id):
        return
    try:
        service().task_for(username, task_id)  # also a completed task of a case they may see
        return
    except NotFound:
        pass
    try:
        # Read only to learn the task's case; whether the caller may know about it is case_for's call.
        case_id = service().task(task_id).case_id
        service().case_for(username, case_id)
    except NotFound:
        raise NotFound(NOT_VISIBLE.format(id=task_id)) from None


def _acting(task_id: int) -> str:
    _require_visible_for_acting(task_id)
    require_may_act()
    return current_username()


@blp.route("")
class Inbox(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, InboxPageSchema)
    @blp.errors()
    @blp.doc(summary="Uw werkbak: mijn taken, taken voor mijn rollen, afgerond",
             description="Gepagineerd: geef `next` (of `prev`) van een antwoord mee als `cursor` voor de pagina "
                         "erna (of ervoor); dat blijft even snel, hoe ver u ook bladert. `page` telt pagina's vanaf "
                         "het begin (zonder cursor). `total` telt tot 1.000; zijn er meer, dan is `capped` true. "
                         "Standaard de vroegste deadline eerst (taken zonder deadline achteraan), bij gelijke "
                         "deadline op id. De casus van elke getoonde taak komt in het toegangslog.")
    @logs_access(listed=lambda page: (row.case.id for row in page.rows))
    def get(self, args):
        try:
            return service().inbox(current_username(), **args)
        except BadCursor:
            raise ApiError(422, "ongeldige_invoer", "De invoer is niet juist.", {
                "cursor": ["Onbekende cursor: gebruik `next` of `prev` van een eerder antwoord met dezelfde "
                           "`tab` en `sort`."]}) from None


@blp.route("/<int:task_id>")
class Task(MethodView):
    @blp.response(200, TaskDetailSchema)
    @blp.errors(404, 428)
    @blp.doc(parameters=HEADER_DOCS)
    @blp.doc(summary="Eén taak met haar formulier (JSON Schema) en uw concept; afgerond: wat is ingediend",
             description="Een afgeronde taak ziet iedereen die de casus mag zien, met in `submitted` de gegevens "
                         "zoals ingediend (ook gelabeld), door wie en wanneer.")
    @logs_access(case=lambda kw: service().case_id_of_task(kw["task_id"]))
    def get(self, task_id):
        username = current_username()
        task, case, draft = service().task_for(username, task_id)
        definition = service().task_form(task)  # with the people the pickers may choose in this case
        form = to_json_schema(definition) if definition else None
        submitted = service().submitted(username, task_id) if task.state == "completed" else None
        return {"task": task, "documentation": task.documentation, "case": case, "form": form, "draft": draft,
                "submitted": submitted}


@blp.route("/<int:task_id>/claim")
class Claim(MethodView):
    @blp.response(200, TaskSchema)
    @blp.errors(403, 404, 409, e403=NOT_YOURS)
    @blp.doc(summary="Neem de taak op uw naam")
    def post(self, task_id):
        return service().claim(task_id, _acting(task_id))


@blp.route("/<int:task_id>/unclaim")
class Unclaim(MethodView):
    @blp.response(200, TaskSchema)
    @blp.errors(403, 404, 409, e403=NOT_YOURS)
    @blp.doc(summary="Geef de taak vrij voor de rol")
    def post(self, task_id):
        return service().unclaim(task_id, _acting(task_id))


@blp.route("/<int:task_id>/assign")
class Assign(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, TaskSchema)
    @blp.errors(403, 404, 409, e403=NOT_YOURS,
                e422="Ongeldige invoer, ook een onbekende collega (`naar`) of een die de rol van de taak niet heeft")
    @blp.doc(summary="Draag de taak over aan een collega met dezelfde rol (met reden, gelogd)",
             description="Wie de taak mag doen, of de inbrenger van de casus, mag haar overdragen.")
    def post(self, body, task_id):
        return service().reassign(task_id, body["naar"], body["reden"], _acting(task_id))


@blp.route("/<int:task_id>/draft")
class Draft(MethodView):
    @blp.arguments(FormDataSchema)
    @blp.response(204)
    @blp.errors(403, 404, 409, e403=NOT_YOURS)
    @blp.doc(summary="Bewaar een concept van het formulier (alleen voor uzelf; niet gecontroleerd)")
    def put(self, data, task_id):
        service().save_draft(task_id, data, _acting(task_id))


@blp.route("/<int:task_id>/complete")
class Complete(MethodView):
    @blp.arguments(FormDataSchema, description="De velden van het formulier van de taak (zie `form` bij GET).")
    @blp.response(200, CompletedSchema)
    @blp.errors(403, 404, 409, e403=NOT_YOURS)
    @blp.doc(summary="Rond de taak af met de gegevens van haar formulier",
             description="Ongeldige gegevens: 422 met per veld een melding (lijsten per index). Geeft ook uw "
                         "volgende open taak in dezelfde casus, als die er is. Loopt de procedure vast (een incident "
                         "voor de beheerder): 422 met code `casus_probleem` en `incident` (het nummer).")
    def post(self, data, task_id):
        username = _acting(task_id)
        task = service().complete_task(task_id, data, username)
        return {"task": task, "next_task": service().next_task_for(task.case_id, username)}
