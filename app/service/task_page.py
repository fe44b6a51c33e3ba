"""What a task's page starts with and shows beside its form, from what the case already knows: the
data the task sees in its procedure and the case's current Veiligheidskaart (rules: task_rules.py)."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from app.engine import clock
from app.engine.runtime import EngineError
from app.formdefs import FormDefinition
from persistence.models import Case, HumanTask, ProcessInstance, VkVersie

from . import task_rules
from . import veiligheidskaart as vk
from .context import Context
from .instances import load_run


def task_data(ctx: Context, session: Session, task: HumanTask, case: Case) -> dict:
    """The case's start data with what the open task sees in its procedure on top."""
    data = dict(case.gegevens or {})
    instance = session.get(ProcessInstance, task.instance_id) if task.state == "open" else None
    if instance is not None:
        try:
            data.update(load_run(ctx, instance).task_data(task.spiff_task_id))
        except EngineError:  # a broken instance shows its incident elsewhere; the form starts empty
            pass
    return data


def prefill(ctx: Context, session: Session, task: HumanTask, case: Case) -> dict:
    if not task.form_key:
        return {}
    card = vk.current(session, case.id)
    return task_rules.prefill(task.form_key, task_data(ctx, session, task, case),
                              ctx.now().astimezone(clock.TZ).date(), card.secties if card else None)


def without_excluded(ctx: Context, session: Session, task: HumanTask, definition: FormDefinition | None):
    """The form without the choices an earlier answer in the case rules out."""
    if definition is None or task.form_key != task_rules.CHAIR_FORM:
        return definition
    case = session.get(Case, task.case_id)
    excluded = task_rules.excluded_options(task.form_key, task_data(ctx, session, task, case))
    if not excluded:
        return definition
    fields = tuple(replace(f, options=tuple(o for o in f.options if o[0] not in excluded[f.name]))
                   if f.name in excluded else f for f in definition.fields)
    return replace(definition, fields=fields)


def card_beside(session: Session, task: HumanTask) -> VkVersie | None:
    """The current card, for the steps that judge or edit it."""
    if task.form_key not in task_rules.CARD_BESIDE_FORMS:
        return None
    return vk.current(session, task.case_id)
