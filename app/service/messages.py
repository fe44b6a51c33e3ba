"""A message from outside the process (e.g. the parents' reaction) delivered to a case."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.runtime import EngineError
from app.formdefs import FormValidationError
from persistence.models import Case, ProcessInstance

from .context import Context, get_or_404
from .errors import InvalidInput, NotFound, ProcessFailed
from .instances import load_run, record_act
from .users import require_user


def deliver_message(ctx: Context, session: Session, case_id: int, name: str, payload: dict, actor: str):
    require_user(session, actor)
    get_or_404(session, Case, case_id, "Casus")
    instances = session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case_id, ProcessInstance.status == "running")
    ).all()
    instance = next((i for i in instances if name in (i.waiting_messages or [])), None)
    if instance is None:
        raise NotFound(f"Casus {case_id} wacht niet op het bericht '{name}'.")
    try:
        values = ctx.forms.validate(f"bericht_{name}", payload)
    except FormValidationError as exc:
        raise InvalidInput(f"Het bericht '{name}' is niet goed ingevuld.", exc.errors) from exc
    run = load_run(ctx, instance)
    try:
        log = run.deliver(name, values)
    except EngineError as exc:
        raise ProcessFailed(str(exc)) from exc
    record_act(ctx, session, instance, run, log, type="message_delivered", actor=actor,
               data={"message": name, "data": values})
    return instance
