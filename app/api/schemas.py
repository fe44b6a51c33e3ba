"""The API's marshmallow schemas: what it answers (dumped from the service's objects) and what it
accepts. Field names follow the command line's JSON (app/cli.py: task_json, case_json,
event_json), so a program can switch between `vht ... --json` and the API. Times are Dutch local
time as RFC 3339 (seconds and offset, as the document's `date-time` requires); `due` is the
deadline's date.
"""
from __future__ import annotations

from marshmallow import INCLUDE, RAISE, Schema, fields, post_dump, pre_dump, validate

from app.engine.clock import TZ
from app.service.inbox import DEADLINES, MAX_PAGE, TABS
from app.service.timeline import KINDS as TIMELINE_KINDS

# --- answers -------------------------------------------------------------------------------------


class LocalDateTime(fields.DateTime):
    """An aware datetime as Dutch local time, e.g. 2026-03-02T09:00:00+01:00."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value.astimezone(TZ).isoformat(timespec="seconds") if value is not None else None


def _local_date(moment):
    """The Dutch calendar date of an aware datetime."""
    return moment.astimezone(TZ).date().isoformat() if moment is not None else None


class _With:
    """An object seen with some attributes added or replaced (for the service's view tuples)."""

    def __init__(self, base, **extra):
        self._base = base
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._base, name)


URGENCY = {"description": "'verlopen' (deadline voorbij), 'binnenkort' (binnen 2 werkdagen) of null",
           "enum": ["verlopen", "binnenkort", None]}


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"description": "vaste code voor programma's, bijv. "
                                                                 "'ongeldige_invoer', 'conflict', 'niet_gevonden'"})
    bericht = fields.String(required=True, metadata={"description": "uitleg in het Nederlands"})
    velden = fields.Dict(required=True, metadata={"description": "per veld de meldingen (leeg als het niet om "
                                                                "velden gaat); lijsten per index"})


class TaskSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    process_id = fields.String()
    task = fields.String(attribute="bpmn_id", metadata={"description": "BPMN-id van de taak"})
    name = fields.String()
    role = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    due = fields.Function(lambda task: _local_date(task.due_at), allow_none=True,
                          metadata={"type": "string", "format": "date", "description": "de dag van de deadline"})
    due_at = LocalDateTime(allow_none=True)
    state = fields.String(metadata={"enum": ["open", "completed", "cancelled"]})
    form_key = fields.String(allow_none=True)
    created_at = LocalDateTime()
    completed_at = LocalDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


CASE_STATUS = {"description": "open, or afgesloten: all its procedures have ended and no decision of the "
                              "VeiligheidsTeam is pending, or vernietigd: past the retention term, only the "
                              "tombstone is left", "enum": ["open", "afgesloten", "vernietigd"]}


class CaseRefSchema(Schema):
    """The case a task belongs to, as the inbox shows it."""

    id = fields.Integer()
    referentie = fields.String()
    gemeente = fields.String(allow_none=True)
    jeugdige_initialen = fields.String(allow_none=True)
    status = fields.String(metadata=CASE_STATUS)


class InboxTaskSchema(TaskSchema):
    urgency = fields.String(allow_none=True, metadata=URGENCY)
    case = fields.Nested(CaseRefSchema)

    @pre_dump
    def _from_row(self, row, **kwargs):
        if hasattr(row, "task") and hasattr(row, "urgency"):  # service InboxRow (task, case, urgency)
            return _With(row.task, case=row.case, urgency=row.urgency)
        return row


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(InboxTaskSchema), attribute="rows")
    total = fields.Integer(metadata={"description": "aantal taken met deze filters, over alle pagina's, geteld "
                                                    "tot 1.000 (zie `capped`)"})
    capped = fields.Boolean(metadata={"description": "true: er zijn meer dan 1.000 taken met deze filters (`total` "
                                                     "en `pages` tellen dan tot 1.000)"})
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    next = fields.String(allow_none=True, metadata={"description": "cursor van de volgende pagina (als `cursor` "
                                                                   "meegeven); null op de laatste pagina"})
    prev = fields.String(allow_none=True, metadata={"description": "cursor van de vorige pagina; null op de eerste"})


class InstanceSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    status = fields.String()
    eindstatus = fields.String(allow_none=True)
    next_timer_at = LocalDateTime(allow_none=True)
    waiting_messages = fields.List(fields.String())


class CaseSchema(Schema):
    id = fields.Integer()
    referentie = fields.String()
    gemeente = fields.String(allow_none=True)
    inbrenger = fields.String(allow_none=True)
    jeugdige_initialen = fields.String(allow_none=True)
    maatregel = fields.String(allow_none=True)
    einde_maatregel = fields.Date(allow_none=True)
    cab_datum = fields.Date(allow_none=True)
    status = fields.String(metadata=CASE_STATUS)
    aangemaakt_op = LocalDateTime()
    instances = fields.List(fields.Nested(InstanceSchema))


class OpenTaskSchema(TaskSchema):
    urgency = fields.String(allow_none=True, metadata=URGENCY)

    @pre_dump
    def _from_pair(self, pair, **kwargs):
        if isinstance(pair, tuple):  # (task, urgency) from the case view
            task, urgency = pair
            return _With(task, urgency=urgency)
        return pair


class DeadlineSchema(Schema):
    at = LocalDateTime()
    what = fields.String()
    urgency = fields.String(allow_none=True, metadata=URGENCY)

    @pre_dump
    def _from_tuple(self, item, **kwargs):
        moment, what, urgency = item
        return {"at": moment, "what": what, "urgency": urgency}


class MemberSchema(Schema):
    username = fields.String()
    reden = fields.String(allow_none=True)
    added_by = fields.String()
    added_at = LocalDateTime()


class DiagramSchema(Schema):
    process_id = fields.String()
    name = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    completed = fields.List(fields.String(), metadata={"description": "BPMN-ids van afgeronde stappen"})
    active = fields.List(fields.String(), metadata={"description": "BPMN-ids waar de procedure nu staat"})


class InstanceDetailSchema(InstanceSchema):
    name = fields.String(allow_none=True, metadata={"description": "naam van de procedure"})
    version = fields.Integer(metadata={"description": "versie van het diagram waarmee ze liep"})
    diagrams = fields.List(fields.Nested(DiagramSchema), metadata={
        "description": "de procedure en de deelprocessen die ze aanriep (zonder XML)"})

    @pre_dump
    def _from_view(self, view, **kwargs):
        if hasattr(view, "instance") and hasattr(view, "diagrams"):  # service InstanceView
            return _With(view.instance, name=view.version.name, version=view.version.version,
                             diagrams=view.diagrams)
        return view


class CaseDetailSchema(CaseSchema):
    """A case as its page shows it (without the diagrams): data, open tasks, deadlines, members."""

    gegevens = fields.Dict(metadata={"description": "de casusgegevens zoals bij de start ingevuld"})
    instances = fields.List(fields.Nested(InstanceDetailSchema))
    open_tasks = fields.List(fields.Nested(OpenTaskSchema))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
    members = fields.List(fields.Nested(MemberSchema))
    outcomes = fields.List(fields.String(), metadata={"description": "bereikte eindtoestanden (Eind_...)"})

    @pre_dump
    def _from_view(self, view, **kwargs):
        if hasattr(view, "case") and hasattr(view, "open_tasks"):  # service CaseView
            return _With(view.case, instances=view.instances, open_tasks=view.open_tasks,
                             deadlines=view.deadlines, members=view.members, outcomes=view.outcomes)
        return view


class ValueSchema(Schema):
    field = fields.String(metadata={"description": "veldnaam in het formulier"})
    label = fields.String(metadata={"description": "het label van het veld in het formulier"})
    text = fields.String(metadata={"description": "de waarde zoals een mens haar leest (datum 12-05-2026, keuze "
                                                 "bij haar label, persoon bij naam; bij een lijst het aantal rijen)"})
    rows = fields.List(fields.List(fields.Nested(lambda: ValueSchema())),
                       metadata={"description": "alleen bij een lijst: per rij de waarden (field, label, text)"})

    @post_dump
    def _rows_of_lists_only(self, data, **kwargs):
        if data.get("rows") is None:
            data.pop("rows", None)
        return data


class SubmittedSchema(Schema):
    data = fields.Dict(metadata={"description": "de gegevens precies zoals ingediend"})
    values = fields.List(fields.Nested(ValueSchema), metadata={"description": "dezelfde gegevens met de labels van "
                                                                              "het formulier van de versie van de casus"})
    completed_by = fields.String()
    completed_by_name = fields.String()
    completed_at = LocalDateTime()


class ChangeSchema(Schema):
    label = fields.String()
    before = fields.String()
    after = fields.String()


class TimelineEntrySchema(Schema):
    """One line of a case's timeline: an event (with `seq`, `data`, `hash`), or a Veiligheidskaart
    version, a mail or a document sent (`seq`, `data` and `hash` null)."""

    seq = fields.Integer(allow_none=True)
    at = LocalDateTime()
    type = fields.String(metadata={"description": "het type gebeurtenis, of vk_versie, mail, vk_verzending"})
    actor = fields.String()
    actor_type = fields.String()
    instance_id = fields.Integer(allow_none=True)
    task = fields.String(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    data = fields.Dict(allow_none=True)
    hash = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "soort: " + ", ".join(TIMELINE_KINDS)})
    label = fields.String(metadata={"description": "de soort in het Nederlands"})
    title = fields.String(metadata={"description": "wat er gebeurde, in één regel"})
    actor_name = fields.String()
    process_id = fields.String(allow_none=True)
    values = fields.List(fields.Nested(ValueSchema), metadata={"description": "de ingevulde waarden, gelabeld"})
    changes = fields.List(fields.Nested(ChangeSchema), metadata={
        "description": "bij een correctie van gegevens of een nieuwe versie van de Veiligheidskaart: voor en na"})
    details = fields.List(fields.String())

    @pre_dump
    def _from_entry(self, entry, **kwargs):
        if not hasattr(entry, "as_dict"):
            return entry
        event = entry.event
        return {**entry.as_dict(), "at": entry.at,
                "actor_type": event.actor_type if event else ("system" if entry.actor == "systeem" else "user"),
                "task": event.task_bpmn_id if event else None, "data": event.data if event else None,
                "hash": event.hash if event else None}


class TaskDetailSchema(Schema):
    task = fields.Nested(TaskSchema)
    documentation = fields.String(allow_none=True, metadata={"description": "uitleg bij de stap uit het diagram"})
    case = fields.Nested(CaseRefSchema)
    form = fields.Dict(allow_none=True, metadata={"description": "het formulier als JSON Schema (draft 2020-12); "
                                                                "x-show-if: veld alleen bij die voorwaarde"})
    draft = fields.Dict(allow_none=True, metadata={"description": "uw concept, als u er een bewaarde"})
    submitted = fields.Nested(SubmittedSchema, allow_none=True, metadata={
        "description": "bij een afgeronde taak: wat is ingediend, door wie en wanneer (anders null)"})


class CompletedSchema(Schema):
    task = fields.Nested(TaskSchema, metadata={"description": "de afgeronde taak"})
    next_task = fields.Nested(TaskSchema, allow_none=True,
                              metadata={"description": "uw volgende open taak in dezelfde casus, of null"})


class ProcessSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    start_form = fields.String()
    form = fields.Dict(metadata={"description": "het startformulier (casusgegevens) als JSON Schema"})


# --- requests ------------------------------------------------------------------------------------


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class CaseQuerySchema(StrictSchema):
    search = fields.String(validate=validate.Length(max=100, error="Maximaal {max} tekens."),
                           metadata={"description": "deel van de referentie of de initialen"})
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 500, error="Kies {min} tot en met {max}."))


class StartCaseSchema(StrictSchema):
    process_id = fields.String(required=True, validate=validate.Length(1, 120, error="Dit veld is verplicht."),
                               metadata={"description": "een procedure uit GET /api/processes, bijv. "
                                                        "p0_consultatie_advies"})
    data = fields.Dict(required=True, metadata={"description": "de casusgegevens: zie het startformulier"})


class HistoryQuerySchema(StrictSchema):
    procedure = fields.String(validate=validate.Length(max=120), metadata={"description": "process_id"})
    persoon = fields.String(validate=validate.Length(max=80), metadata={"description": "gebruikersnaam van wie het "
                                                                                      "deed (of systeem)"})
    soort = fields.String(validate=validate.OneOf(TIMELINE_KINDS, error="Kies een van: {choices}."),
                          metadata={"description": "soort gebeurtenis"})


class TaskQuerySchema(StrictSchema):
    tab = fields.String(load_default="mijn", validate=validate.OneOf(TABS, error="Kies een van: {choices}."),
                        metadata={"description": "mijn: mijn open taken; rol: open taken voor mijn rollen die "
                                                 "niemand heeft; afgerond: taken die ik afrondde"})
    procedure = fields.String(validate=validate.Length(max=120), metadata={"description": "process_id"})
    gemeente = fields.String(validate=validate.Length(max=80))
    deadline = fields.String(validate=validate.OneOf(DEADLINES, error="Kies een van: {choices}."))
    search = fields.String(validate=validate.Length(max=100, error="Maximaal {max} tekens."),
                           metadata={"description": "deel van casusreferentie, initialen of taaknaam"})
    sort = fields.String(load_default="deadline",
                         validate=validate.OneOf(("deadline", "nieuw"), error="Kies een van: {choices}."))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE, error="Kies {min} tot en met {max}."))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 100, error="Kies {min} tot en met {max}."))
    cursor = fields.String(validate=validate.Length(max=200, error="Maximaal {max} tekens."),
                           metadata={"description": "`next` of `prev` van een eerder antwoord (zelfde `tab` en "
                                                    "`sort`): de pagina daarna of daarvoor"})


class AssignSchema(StrictSchema):
    naar = fields.String(required=True, validate=validate.Length(1, 80, error="Dit veld is verplicht."),
                         metadata={"description": "gebruikersnaam van de collega (met de rol van de taak)"})
    reden = fields.String(required=True, validate=validate.Length(1, 200, error="Geef een reden op (hoogstens "
                                                                             "{max} tekens)."),
                          metadata={"description": "komt in de geschiedenis van de casus"})


class FormDataSchema(Schema):
    """The fields of the task's form (GET /api/tasks/{id}: `form`); checked by the form itself."""

    class Meta:
        unknown = INCLUDE
