"""Correcting case data (issue 11, section 2): a beheerder changes one value of a running instance.

Which fields: only those a form of the instance's own version defines (its start form, its task
forms, the forms of the messages it waits for: deploy.used_forms of the version's spec, read from
that version's bundle); the new value is validated by that field's definition alone (its type,
options, bounds; `show_if` and the regional setting that opens a field are not applied, since the
fields they depend on are not part of this one-field check). Case rules that need the act's own
context (a date before the CAB) are not checked: the beheerder corrects what the data should be.

Where the value goes: SpiffWorkflow 3.2 keeps data per task, and the next expression reads the data
of the task it belongs to (a fired timer passes its waiting task's data on; a user task completes
from its own data), so the value is written into every live task of the instance (ready, waiting,
started; app/engine/correction.py). Nothing else moves: the failed timer or act is then retried
(incidents.retry) or submitted again.

Each correction is an act like any other (instances.record_act: saved state, projected inbox, one
event): the event 'gegevens_gecorrigeerd' holds the actor, the reason, the field, the value before
(per element that held it) and after, and the state's fingerprint, so `vht replay` and the deploy
preview (replay.apply_event) apply the same correction at the same point and stay identical.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.engine import correction
from app.engine.runtime import StepLog
from app.formdefs import FormValidationError
from app.formdefs.definition import FormDefinition, FormField
from app.formdefs.validation import validate
from persistence.models import Incident, ProcessInstance

from . import incidents
from .access import ADMIN
from .context import Context
from .deploy import used_forms
from .errors import InvalidInput, PermissionDenied
from .instances import load_run, record_act, running_instance
from .users import require_user

EVENT = "gegevens_gecorrigeerd"
MAX_REASON = 500


@dataclass
class FieldChoice:
    name: str
    label: str
    form_key: str
    present: bool  # held by a live task, or seen by the failed expression
    current: object = None


@dataclass
class CorrectionResult:
    case_id: int
    instance_id: int
    field: str
    before: dict
    after: object
    elements: list[str]


def require_admin(session: Session, username: str):
    user = require_user(session, username)
    if ADMIN not in (user.rollen or []):
        raise PermissionDenied("Alleen een beheerder kan gegevens van een casus corrigeren.")
    return user


def form_fields(ctx: Context, session: Session, instance: ProcessInstance) -> dict[str, list[tuple[str, FormField]]]:
    """{field name: [(form key, definition), ...]} for every form the instance's version uses."""
    spec, subs = ctx.specs.get_by_id(instance.process_version_id, lambda: instance.process_version)
    forms = ctx.forms_of(session, instance)
    result: dict[str, list[tuple[str, FormField]]] = {}
    for key in sorted(used_forms(spec, subs)):
        if key not in forms:
            continue
        for spec_field in forms.get(key).fields:
            result.setdefault(spec_field.name, []).append((key, spec_field))
    return result


def choices(ctx: Context, session: Session, instance: ProcessInstance, seen: dict | None = None) -> list[FieldChoice]:
    """The fields a beheerder may correct, those the case holds now (or the failure saw) first."""
    run = load_run(ctx, instance)
    live = correction.live_fields(run)
    result = []
    for name, definitions in form_fields(ctx, session, instance).items():
        key, spec_field = definitions[0]
        values = correction.current_values(run, name)
        present = name in live or name in (seen or {})
        current = next(iter(values.values())) if values else (seen or {}).get(name)
        result.append(FieldChoice(name, spec_field.label, key, present, current))
    return sorted(result, key=lambda c: (not c.present, c.label.lower()))


def _validated(name: str, definitions: list[tuple[str, FormField]], raw):
    """The value as the first form that defines `name` accepts it; else InvalidInput with its message.

    Text from a web form or the command line is tried as typed and, failing that, as JSON (so
    `true`, `3` or `["a"]` are a yes/no, a number or a list)."""
    candidates = [raw]
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        if parsed != raw:
            candidates.append(parsed)
    first_errors = None
    for key, spec_field in definitions:
        # The field alone: what it shows under (show_if) or what opens it is not part of this check.
        alone = dataclasses.replace(spec_field, show_if=None, requires_setting=None)
        definition = FormDefinition(key, key, None, (alone,))
        for candidate in candidates:
            if candidate in (None, "", []) or (isinstance(candidate, str) and not candidate.strip()):
                raise InvalidInput("Geef een nieuwe waarde op.", {"waarde": ["Dit veld is verplicht."]})
            try:
                loaded = validate(definition, {name: candidate})
            except FormValidationError as exc:
                first_errors = first_errors or exc.errors
                continue
            if name in loaded:
                return json.loads(json.dumps(loaded[name], default=str))
    messages = (first_errors or {}).get(name) or ["Deze waarde past niet bij het veld."]
    if isinstance(messages, dict):  # a list field: per row
        messages = [json.dumps(messages, ensure_ascii=False)]
    label = definitions[0][1].label
    raise InvalidInput(f"De nieuwe waarde voor '{label}' is niet geldig: {' '.join(map(str, messages))}",
                       {"waarde": [str(m) for m in messages]})


def correct(ctx: Context, case_id: int | None, instance_id: int, field: str, value, actor: str, reason: str,
            incident_id: int | None = None) -> CorrectionResult:
    """Set `field` to `value` in the running instance, as one recorded act (see the module doc)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Geef een reden op voor de correctie.", {"reden": ["Dit veld is verplicht."]})
    if len(reason) > MAX_REASON:
        raise InvalidInput("De reden is te lang.", {"reden": [f"Maximaal {MAX_REASON} tekens."]})
    field = (field or "").strip()
    with ctx.transaction() as session:
        require_admin(session, actor)
        instance = running_instance(session, case_id, instance_id,
                                    "alleen gegevens van een lopende casus kunnen worden gecorrigeerd.")
        definitions = form_fields(ctx, session, instance).get(field)
        if not definitions:
            version = instance.process_version
            raise InvalidInput(
                f"Het veld '{field}' staat in geen formulier van {instance.process_id} versie {version.version}; "
                "alleen velden die een formulier van deze versie kent kunnen worden gecorrigeerd.",
                {"veld": ["Onbekend veld."]})
        new_value = _validated(field, definitions, value)
        run = load_run(ctx, instance)
        before = correction.current_values(run, field)
        elements = correction.set_value(run, field, new_value)
        if not elements:
            raise InvalidInput(f"Procesinstantie {instance_id} heeft geen lopende stap om de waarde in te zetten.", {})
        data = {"veld": field, "voor": before, "na": new_value, "reden": reason, "elementen": elements}
        if incident_id is not None:
            data["incident"] = incident_id
        record_act(ctx, session, instance, run, StepLog(), type=EVENT, actor=actor, data=data,
                   task_bpmn_id=elements[0] if len(elements) == 1 else None)
        return CorrectionResult(instance.case_id, instance.id, field, before, new_value, elements)


def correct_incident(ctx: Context, incident_id: int, field: str, value, actor: str, reason: str) -> CorrectionResult:
    """Correct the data of the instance an open incident is about."""
    with ctx.reading() as session:
        require_admin(session, actor)
        case_id, instance_id = incidents.instance_of(
            session, incident_id, "Dit incident hoort niet bij een lopende procesinstantie; er zijn geen gegevens "
                                  "om te corrigeren.")
    return correct(ctx, case_id, instance_id, field, value, actor, reason, incident_id=incident_id)


def incident_choices(ctx: Context, incident_id: int, actor: str) -> list[FieldChoice]:
    """The fields on the incident page's correction form ([] when there is nothing to correct)."""
    with ctx.reading() as session:
        require_admin(session, actor)
        instance = incidents.running_instance_of_open(session, incident_id)
        if instance is None:
            return []
        return choices(ctx, session, instance, session.get(Incident, incident_id).data_seen)
