"""Starting a case: validate the casus data, start the procedure, project its first tasks."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from app.engine.runtime import EngineError
from app.formdefs import FormValidationError
from persistence.models import Case, ProcessInstance

from . import form_context, incidents, people
from .context import Context
from .errors import InvalidInput, NotFound, PermissionDenied
from .instances import record_act, version_for_start
from .users import require_user

# What a procedure implies about the case that its start form need not ask.
START_DEFAULTS = {"p5_warme_overdracht": {"maatregel": "ots"}}


def _initials(jeugdigen) -> str | None:
    names = [j.get("naam", "") for j in jeugdigen or [] if isinstance(j, dict)]
    initials = ["".join(part[0].upper() for part in name.split() if part) for name in names if name]
    return ", ".join(initials) or None


def _date(value) -> date | None:
    return date.fromisoformat(value) if value else None


def start_case(ctx: Context, session: Session, process_id: str, data: dict, actor: str) -> tuple[Case, ProcessInstance]:
    user = require_user(session, actor)
    version = version_for_start(session, process_id)
    if version is None:
        raise NotFound(f"Procedure '{process_id}' is niet in gebruik: nooit gedeployd (vht deploy) of alle "
                       "versies zijn ingetrokken.")
    if not version.start_form:
        raise InvalidInput(f"Procedure '{process_id}' start alleen vanuit een andere procedure.", {})
    starters = (version.start_role or "").split(",")
    if not set(starters) & set(user.rollen or []):
        raise PermissionDenied(f"Procedure '{process_id}' wordt gestart door de rol {' of '.join(starters)}.")
    own = ctx.bundle_of(session, version)  # the forms and settings of the version it starts on
    forms = own.forms
    try:
        offer = people.lookup(session, data.get("gemeente") if isinstance(data, dict) else None, starter=user)
        values = forms.validate(version.start_form, data, form_context.for_start(ctx, offer, own.parameters))
    except FormValidationError as exc:
        raise InvalidInput("De casusgegevens zijn niet volledig of niet juist.", exc.errors) from exc
    values = people.start_defaults(forms.get(version.start_form),
                                   {**START_DEFAULTS.get(process_id, {}), **values}, user)
    now = ctx.now()
    case = Case(
        referentie=f"tmp-{uuid.uuid4().hex}", gemeente=values.get("gemeente"), inbrenger=user.username,
        jeugdige_initialen=_initials(values.get("jeugdigen")), maatregel=values.get("maatregel"),
        einde_maatregel=_date(values.get("einde_maatregel")), cab_datum=_date(values.get("cab_datum")),
        gegevens=values, status="open", aangemaakt_op=now,
    )
    session.add(case)
    session.flush()
    case.referentie = f"VHT-{now.year}-{case.id:05d}"
    for role in set(starters) & set(user.rollen or []):  # the GI that starts P5: its organisation takes part
        people.note_organisation(session, case.id, user, role)
    people.record_choices(ctx, session, case, forms.get(version.start_form), values, user.username)
    instance = start_instance(ctx, session, case, version, values, actor)
    from . import achttien  # it starts its own instances through this module: imported here, not on top
    if process_id == achttien.PROCESS:  # a P6 started by hand: the worker's daily check starts no second one
        achttien.note_started(session, case.id, values.get("jeugdigen") or [], instance.id, now)
    return case, instance


def start_instance(ctx: Context, session: Session, case: Case, version, values: dict, actor: str) -> ProcessInstance:
    start_data = {
        **values,
        "inbrenger": case.inbrenger,
        "casus_referentie": case.referentie,
        # A case keeps the settings of the version it started on, so its deadlines do not move under it.
        "instellingen": dict(ctx.bundle_of(session, version).parameters),
    }
    spec, subs = ctx.specs.get(version)
    try:
        run, log = ctx.runtime.start(spec, subs, start_data)
    except EngineError as exc:
        raise incidents.failed(exc, case_id=case.id, process_id=version.process_id, version=version.version) from exc
    now = ctx.now()
    instance = ProcessInstance(
        case_id=case.id, process_version_id=version.id, process_id=version.process_id, state="",
        serializer_version="", status="running", started_at=now, updated_at=now, process_version=version,
    )
    session.add(instance)
    session.flush()
    record_act(ctx, session, instance, run, log, type="instance_started", actor=actor,
               data={"process_id": version.process_id, "process_version": version.version,
                     "process_version_id": version.id, "data": start_data})
    return instance
