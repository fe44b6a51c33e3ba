"""A message from outside the process (e.g. the parents' reaction) delivered to a case.

A running procedure that waits for the message gets it. When none waits, a module may still take
it (LATE): the parents' reaction is never refused for being late (veiligheidskaart.py records it
as a new version of the card). Anything else nobody waits for does not exist for the caller.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from app.engine.runtime import EngineError
from app.formdefs import FormValidationError
from persistence.models import Case, ProcessInstance

from . import incidents
from .context import Context, get_or_404
from .errors import InvalidInput, NotFound
from .instances import load_run, record_act
from .users import require_user

# {message name: (accepts(session, case) -> bool, record(ctx, session, case, values, actor) -> Delivered)}
LATE: dict = {}

# Messages the case's own professionals send to change its course (not a word from outside that the
# case waits for): the case page offers them as actions.
OWN_ACTIONS = frozenset({"moment_wijzigen"})

NAME = re.compile(r"[a-z][a-z0-9_]{0,79}")
FORM = "bericht_{}"


@dataclass(frozen=True)
class Delivered:
    case_id: int
    message: str
    instance_id: int | None  # the procedure that took it; None when recorded outside the engine
    na_verzenddag: bool  # no procedure waited any more: recorded late
    vk_versie: int | None = None  # the card version that holds it, if it changed the card
    opnieuw_verstuurd: bool = False  # the updated card was mailed again


def _waiting(session: Session, case_id: int, name: str) -> ProcessInstance | None:
    instances = session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case_id, ProcessInstance.status == "running")
    ).all()
    return next((i for i in instances if name in (i.waiting_messages or [])), None)


def form_for(ctx: Context, session: Session, case_id: int, name: str):
    """The message's form as deployed with the version of the procedure that waits for it (a
    late message, which no procedure waits for any more: the form in use now)."""
    instance = _waiting(session, case_id, name)
    forms = ctx.forms_of(session, instance) if instance is not None else ctx.forms
    return (forms if FORM.format(name) in forms else ctx.forms).get(FORM.format(name))


def receivable(ctx: Context, session: Session, case: Case) -> list[tuple[str, bool]]:
    """(message name, late?) of every message the case takes now, for the pages."""
    names = {n for i in case.instances if i.status == "running" for n in (i.waiting_messages or [])}
    found = [(n, False) for n in sorted(names) if FORM.format(n) in ctx.forms]
    found += [(n, True) for n, (accepts, _) in sorted(LATE.items())
              if n not in names and FORM.format(n) in ctx.forms and accepts(session, case)]
    return found


def _validate(ctx: Context, name: str, payload: dict, forms=None) -> dict:
    try:
        values = (forms or ctx.forms).validate(FORM.format(name), payload)
    except FormValidationError as exc:
        raise InvalidInput(f"Het bericht '{name}' is niet goed ingevuld.", exc.errors) from exc
    received = values.get("ontvangen_op")
    if received and date.fromisoformat(str(received)) > ctx.now().astimezone(TZ).date():
        raise InvalidInput(f"Het bericht '{name}' is niet goed ingevuld.",
                           {"ontvangen_op": ["De datum van ontvangst kan niet in de toekomst liggen."]})
    return values


def deliver_message(ctx: Context, session: Session, case_id: int, name: str, payload: dict, actor: str) -> Delivered:
    require_user(session, actor)
    case = get_or_404(session, Case, case_id, "Casus")
    if not isinstance(name, str) or not NAME.fullmatch(name) or FORM.format(name) not in ctx.forms:
        raise NotFound("Dit bericht bestaat niet.")
    instance = _waiting(session, case_id, name)
    if instance is None:
        accepts, record = LATE.get(name, (None, None))
        if accepts is None or not accepts(session, case):
            raise NotFound(f"Casus {case_id} wacht niet op het bericht '{name}'.")
        return record(ctx, session, case, _validate(ctx, name, payload), actor)
    forms = ctx.forms_of(session, instance)
    if FORM.format(name) not in forms:  # a version that did not know this message
        forms = None
    values = _validate(ctx, name, payload, forms)
    run = load_run(ctx, instance)
    try:
        log = run.deliver(name, values)
    except EngineError as exc:
        raise incidents.failed(exc, instance) from exc
    event = record_act(ctx, session, instance, run, log, type="message_delivered", actor=actor,
                       data={"message": name, "data": values})
    from . import veiligheidskaart as vk  # the card of this act (the AFTER_ACT hook made it)

    row = vk.current(session, case_id)
    return Delivered(case_id, name, instance.id, False, row.versie if row and row.event_seq == event.seq else None)
