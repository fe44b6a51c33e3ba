"""Cases: the ones you may see, starting one, one case, its history; and the procedures you may start."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from app.formdefs import to_json_schema
from app.service import InvalidInput, NotFound

from .access_logging import HEADER_DOCS, logs_access
from .auth import current_username, require_may_act, service
from .blueprint import Blueprint
from .schemas import (
    CaseDetailSchema,
    CaseQuerySchema,
    CaseSchema,
    HistoryQuerySchema,
    ProcessSchema,
    StartCaseSchema,
    TimelineEntrySchema,
)

blp = Blueprint("api_cases", __name__, url_prefix="/api", description="Casussen en procedures")


@blp.route("/cases")
class Cases(MethodView):
    @blp.arguments(CaseQuerySchema, location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.errors()
    @blp.doc(summary="Casussen die u mag zien", description="Nieuwste eerst. Een auditor ziet alle casussen. "
             "Elke getoonde casus komt in het toegangslog.")
    @logs_access(listed=lambda cases: (case.id for case in cases))
    def get(self, args):
        return service().visible_cases(current_username(), search=args.get("search"), limit=args["limit"])

    @blp.arguments(StartCaseSchema)
    @blp.response(201, CaseDetailSchema)
    @blp.errors(403, e403="Uw rol mag deze procedure niet starten, of u bent auditor",
                e422="Ongeldige invoer: fouten in `data` staan in `velden.data`; een onbekende procedure, of "
                     "een die u niet mag starten, in `velden.process_id`")
    @blp.doc(summary="Start een procedure voor een nieuwe casus",
             description="`data` volgt het startformulier van de procedure (GET /api/processes). "
                         "Fouten in `data` staan in `velden.data`.")
    def post(self, body):
        require_may_act()
        username = current_username()
        try:
            case = service().start_case(body["process_id"], body["data"], username)
        except NotFound as exc:  # the procedure is not deployed: a wrong value in the body
            raise InvalidInput(exc.message, {"process_id": [exc.message]}) from exc
        except InvalidInput as exc:
            velden = {"data": exc.errors} if exc.errors else {"process_id": [exc.message]}
            raise InvalidInput(exc.message, velden) from exc
        view = service().case_view(username, case.id)
        return view, 201, {"Location": url_for("api_cases.Case", case_id=case.id)}


@blp.route("/cases/<int:case_id>")
class Case(MethodView):
    @blp.response(200, CaseDetailSchema)
    @blp.errors(404, 428, e404="Bestaat niet, of u bent niet bij deze casus betrokken")
    @blp.doc(summary="Eén casus: gegevens, procedures, open taken, termijnen, betrokkenen", parameters=HEADER_DOCS)
    @logs_access(case=lambda kw: kw["case_id"])
    def get(self, case_id):
        return service().case_view(current_username(), case_id)


@blp.route("/cases/<int:case_id>/history")
class CaseHistory(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, TimelineEntrySchema(many=True))
    @blp.errors(404, 428, e404="Bestaat niet, of u bent niet bij deze casus betrokken")
    @blp.doc(parameters=HEADER_DOCS)
    @blp.doc(summary="De geschiedenis van een casus: wie deed wat, wanneer, met welke gegevens",
             description="In volgorde: de gebeurtenissen (seq, met de hash van de keten en de ingevulde waarden "
                         "met hun labels), met ertussen de versies van de Veiligheidskaart (voor en na), de mails "
                         "van de casus met hun status en de verstuurde documenten. Filters (te combineren): "
                         "`procedure`, `persoon`, `soort`.")
    @logs_access(case=lambda kw: kw["case_id"])
    def get(self, args, case_id):
        entries, _ = service().timeline(current_username(), case_id, args)
        return entries


@blp.route("/processes")
class Processes(MethodView):
    @blp.response(200, ProcessSchema(many=True))
    @blp.errors()
    @blp.doc(summary="Procedures die u mag starten, met hun startformulier als JSON Schema")
    def get(self):
        username = current_username()
        return [{"process_id": v.process_id, "version": v.version, "name": v.name, "start_form": v.start_form,
                 "form": to_json_schema(service().start_form(v, username))}
                for v in service().startable_processes(username)]
