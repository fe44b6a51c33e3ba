"""Working the inbox: list, claim, unclaim and complete tasks."""
from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload

from app.engine.runtime import EngineError
from app.formdefs import FormValidationError
from persistence.models import HumanTask, User

from . import events
from .context import Context
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied, ProcessFailed
from .instances import load_run, save_run
from .users import check_may_work, require_user


def list_tasks(session: Session, *, case_id=None, role=None, assignee=None, state="open", limit=500, offset=0):
    query = select(HumanTask)
    if state:
        query = query.where(HumanTask.state == state)
    if case_id is not None:
        query = query.where(HumanTask.case_id == case_id)
    if role:
        query = query.where(HumanTask.role == role)
    if assignee:
        query = query.where(HumanTask.assignee == assignee)
    # Deadline first (tasks without one last), then oldest first.
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id).limit(limit).offset(offset)
    return session.scalars(query).all()


def _open_task(session: Session, task_id: int) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"Taak {task_id} bestaat niet.")
    if task.state != "open":
        word = {"completed": "al afgerond", "cancelled": "vervallen"}.get(task.state, task.state)
        raise Conflict(f"Taak {task_id} is {word}.", taak=task_id, status=task.state)
    return task


def claim(ctx: Context, session: Session, task_id: int, actor: str) -> HumanTask:
    user = require_user(session, actor)
    task = _open_task(session, task_id)
    if task.assignee == user.username:
        return task
    if task.assignee:
        raise Conflict(f"Taak {task_id} is al toegewezen aan {task.assignee}.", taak=task_id)
    if task.role not in (user.rollen or []):
        raise PermissionDenied(f"Taak {task_id} is voor de rol '{task.role}'.")
    task.assignee = user.username
    events.append(session, case_id=task.case_id, instance_id=task.instance_id, type="task_claimed",
                  task_bpmn_id=task.bpmn_id, human_task_id=task.id, actor=actor, at=ctx.now())
    return task


def unclaim(ctx: Context, session: Session, task_id: int, actor: str) -> HumanTask:
    require_user(session, actor)
    task = _open_task(session, task_id)
    if task.assignee != actor:
        raise PermissionDenied(f"Alleen {task.assignee or 'de toegewezen persoon'} kan deze taak vrijgeven.")
    task.assignee = None
    events.append(session, case_id=task.case_id, instance_id=task.instance_id, type="task_unclaimed",
                  task_bpmn_id=task.bpmn_id, human_task_id=task.id, actor=actor, at=ctx.now())
    return task


def complete(ctx: Context, session: Session, task_id: int, data: dict, actor: str) -> HumanTask:
    # The hot path: task, its instance and the acting user in one round trip.
    row = session.execute(
        select(HumanTask, User)
        .join(User, and_(User.username == actor, User.actief.is_(True)))
        .where(HumanTask.id == task_id)
        .options(joinedload(HumanTask.instance))
    ).first()
    if row is None:
        require_user(session, actor)
        _open_task(session, task_id)  # raises the right NotFound
    task, user = row
    _open_task(session, task_id)  # the state check (no query: the task is in the session)
    check_may_work(user, task)
    try:
        values = ctx.forms.validate(task.form_key, data)
    except FormValidationError as exc:
        raise InvalidInput(f"Het formulier '{task.name}' is niet goed ingevuld.", exc.errors) from exc
    instance = task.instance
    run = load_run(ctx, instance)
    try:
        log = run.complete(task.spiff_task_id, values)
    except EngineError as exc:
        raise ProcessFailed(str(exc)) from exc
    outgoing = run.outgoing()
    now = ctx.now()
    task.state = "completed"
    task.completed_at = now
    task.completed_by = user.username
    task.assignee = task.assignee or user.username
    save_run(ctx, session, instance, run)
    events.append(
        session, case_id=task.case_id, instance_id=instance.id, type="task_completed",
        task_bpmn_id=task.bpmn_id, human_task_id=task.id, actor=user.username, at=now,
        data={"process_id": task.process_id, "task": task.name, "data": values, "steps": log.steps,
              "outgoing": outgoing},
        state_fingerprint=run.fingerprint(),
    )
    return task
