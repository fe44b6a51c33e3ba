"""Working the inbox: list, claim, unclaim, complete, drafts and reassigning."""
from __future__ import annotations

import json

from sqlalchemy import and_, bindparam, delete, exists, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.engine.runtime import EngineError
from app.formdefs import FormValidationError
from persistence.models import Case, CaseMember, HumanTask, TaskDraft, User

from . import events, form_context, incidents, people, task_rules, veiligheidskaart
from .insight import facts
from .access import check_offered, in_scope
from .context import Context
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .instances import load_run, record_act
from .users import check_may_work, require_user
from .versions import VersionBundle


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
        raise _not_open(task)
    return task


def _not_open(task: HumanTask) -> Conflict:
    word = {"completed": "al afgerond", "cancelled": "vervallen"}.get(task.state, task.state)
    return Conflict(f"De taak '{task.name}' is {word}.", taak=task.id, status=task.state)


def _taken(session: Session, task: HumanTask) -> Conflict:
    """What the act that got there first left: completed, cancelled, someone's, or free again."""
    session.refresh(task)
    if task.state != "open":
        return _not_open(task)
    if task.assignee:
        owner = session.get(User, task.assignee)
        return Conflict(f"Deze taak is al geclaimd door {owner.naam if owner else task.assignee}.", taak=task.id)
    return Conflict(f"De taak '{task.name}' is net vrijgegeven. Laad de pagina opnieuw.", taak=task.id)


def _set_assignee(session: Session, task: HumanTask, new: str | None) -> None:
    """Give the task to `new` only if nobody changed its assignee since we read it.

    One conditional UPDATE: two people claiming at once both read "free", but only one UPDATE
    finds the row still free (PostgreSQL re-checks the condition after the first commits); the
    other gets "al geclaimd door ..." instead of being told it is theirs too.
    """
    expected = task.assignee
    result = session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.state == "open",
               HumanTask.assignee == expected if expected else HumanTask.assignee.is_(None))
        .values(assignee=new)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise _taken(session, task)
    set_committed_value(task, "assignee", new)


def claim(ctx: Context, session: Session, task_id: int, actor: str) -> HumanTask:
    user = require_user(session, actor)
    task = _open_task(session, task_id)
    if task.assignee == user.username:
        return task
    if task.assignee:
        raise _taken(session, task)
    if task.role not in (user.rollen or []):
        raise PermissionDenied(f"De taak '{task.name}' is niet voor uw rol.")
    check_offered(user, task)
    _set_assignee(session, task, user.username)
    people.note_organisation(session, task.case_id, user, task.role)
    events.append(session, case_id=task.case_id, instance_id=task.instance_id, type="task_claimed",
                  task_bpmn_id=task.bpmn_id, human_task_id=task.id, actor=actor, at=ctx.now())
    return task


def unclaim(ctx: Context, session: Session, task_id: int, actor: str) -> HumanTask:
    require_user(session, actor)
    task = _open_task(session, task_id)
    if task.assignee != actor:
        raise PermissionDenied(f"Alleen {task.assignee or 'de toegewezen persoon'} kan deze taak vrijgeven.")
    _set_assignee(session, task, None)
    events.append(session, case_id=task.case_id, instance_id=task.instance_id, type="task_unclaimed",
                  task_bpmn_id=task.bpmn_id, human_task_id=task.id, actor=actor, at=ctx.now())
    return task


def _card_version(session: Session, task: HumanTask) -> int | None:
    """The card's current version, for the form that records which version it sends."""
    if task.form_key != task_rules.DEFINITIVE_FORM:
        return None
    row = veiligheidskaart.current(session, task.case_id)
    return row.versie if row else None


_TASK_FOR_COMPLETION = (
    select(HumanTask, User, exists().where(TaskDraft.human_task_id == HumanTask.id).label("has_draft"),
           facts.first_claim_column(HumanTask.id), *events.head_columns(HumanTask.case_id))
    .join(User, and_(User.username == bindparam("actor"), User.actief.is_(True)))
    .where(HumanTask.id == bindparam("task_id"))
    .options(joinedload(HumanTask.instance), joinedload(HumanTask.case))
)


def complete(ctx: Context, session: Session, task_id: int, data: dict, actor: str) -> HumanTask:
    # The hot path: task, its instance, its case and the acting user in one round trip.
    row = session.execute(_TASK_FOR_COMPLETION, {"task_id": task_id, "actor": actor}).first()
    if row is None:
        require_user(session, actor)
        _open_task(session, task_id)  # raises the right NotFound
    task, user, has_draft, first_claim, head_seq, head_hash = row
    events.remember_head(session, task.case_id, head_seq, head_hash)
    facts.remember_first_claim(session, task.id, first_claim)
    _open_task(session, task_id)  # the state check (no query: the task is in the session)
    check_may_work(user, task)
    instance = task.instance
    run = load_run(ctx, instance)
    # The form as deployed with this case's version (cached by id: no read of the version row).
    forms = ctx.bundles.get_by_id(session, instance.process_version_id, lambda: instance.process_version,
                                  VersionBundle(ctx.forms, ctx.parameters, {})).forms
    try:  # with the case data the task sees: dates before the CAB, in the past, on a holiday
        values = forms.validate(task.form_key, data, form_context.for_data(ctx, run.task_data(task.spiff_task_id),
                                                                       people.for_case(session, task.case)))
        values = task_rules.apply(task.form_key, values, run.task_data(task.spiff_task_id), ctx.now(),
                                  _card_version(session, task))
    except FormValidationError as exc:
        raise InvalidInput(f"Het formulier '{task.name}' is niet goed ingevuld.", exc.errors) from exc
    try:
        log = run.complete(task.spiff_task_id, values)
    except EngineError as exc:
        raise incidents.failed(exc, instance) from exc
    # Lock order as the timer worker's: the instance row before the task row. These flush (only
    # inserts of members/organisations) before the task is touched, and the draft goes after
    # record_act, so the task's UPDATE is written after the instance's (a worker holding the
    # instance then makes this save wait and fail with a Conflict instead of a deadlock).
    people.note_organisation(session, task.case_id, user, task.role)
    people.record_choices(ctx, session, task.case, forms.get(task.form_key), values, user.username)
    done = dict(state="completed", completed_at=ctx.now(), completed_by=user.username,
                assignee=task.assignee or user.username)
    record_act(ctx, session, instance, run, log, type="task_completed", actor=user.username,
               task_bpmn_id=task.bpmn_id, human_task_id=task.id, completing=(task, done),
               data={"process_id": task.process_id, "task": task.name, "data": values})
    if has_draft:
        session.execute(delete(TaskDraft).where(TaskDraft.human_task_id == task.id))
    return task


MAX_DRAFT_BYTES = 200_000


def save_draft(ctx: Context, session: Session, task_id: int, data: dict, actor: str) -> None:
    """Keep what someone typed so far; it is theirs until they complete the task."""
    user = require_user(session, actor)
    task = _open_task(session, task_id)
    check_may_work(user, task)
    if not isinstance(data, dict) or len(json.dumps(data, default=str)) > MAX_DRAFT_BYTES:
        raise InvalidInput("Het concept is te groot of geen formulier.", {})
    draft = session.get(TaskDraft, (task_id, user.username))
    if draft is None:
        draft = TaskDraft(human_task_id=task_id, username=user.username)
        session.add(draft)
    draft.data = data
    draft.saved_at = ctx.now()


def draft_for(session: Session, task_id: int, username: str) -> dict | None:
    draft = session.get(TaskDraft, (task_id, username))
    return dict(draft.data) if draft is not None else None


def reassign(ctx: Context, session: Session, task_id: int, to: str, reason: str, actor: str) -> HumanTask:
    """Give an open task to a colleague with the task's role; the reason goes into the history."""
    user = require_user(session, actor)
    task = _open_task(session, task_id)
    case = session.get(Case, task.case_id)
    if case.inbrenger != user.username:
        check_may_work(user, task)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Geef een reden op voor het overdragen.", {"reden": ["Dit veld is verplicht."]})
    if len(reason) > 200:
        raise InvalidInput("De reden is te lang.", {"reden": ["Maximaal 200 tekens."]})
    if not (to or "").strip():
        raise InvalidInput("Kies een collega.", {"naar": ["Kies een collega."]})
    target = session.get(User, to)
    if target is None or not target.actief:
        raise InvalidInput("Deze collega is niet (meer) actief. Kies een andere collega.",
                           {"naar": ["Kies een collega uit de lijst."]})
    if task.role not in (target.rollen or []):
        raise InvalidInput("Deze collega kan deze taak niet doen. Kies een andere collega.",
                           {"naar": [f"{target.naam} heeft niet de rol die deze taak vraagt."]})
    if not in_scope(session, target, case, task.role):
        raise InvalidInput("Deze collega kan deze taak niet doen.",
                           {"naar": [f"{target.naam} werkt voor een andere gemeente of organisatie dan deze casus."]})
    previous = task.assignee
    _set_assignee(session, task, target.username)
    people.note_organisation(session, task.case_id, target, task.role)
    if session.get(CaseMember, (task.case_id, target.username)) is None:
        session.add(CaseMember(case_id=task.case_id, username=target.username, reden=f"taak '{task.name}'",
                               added_by=user.username, added_at=ctx.now()))
    events.append(session, case_id=task.case_id, instance_id=task.instance_id, type="task_reassigned",
                  task_bpmn_id=task.bpmn_id, human_task_id=task.id, actor=user.username, at=ctx.now(),
                  data={"van": previous, "naar": target.username, "reden": reason})
    return task


def next_task_for(session: Session, case_id: int, username: str) -> HumanTask | None:
    """The user's next open task in the same case: their own first, then one for their roles."""
    user = require_user(session, username)
    return session.scalars(_NEXT_TASK, {"case_id": case_id, "username": username,
                                        "roles": list(user.rollen or []) or ["-"]}).first()


# Built once: it answers every completion (the API's next_task).
_MINE = HumanTask.assignee == bindparam("username")
_NEXT_TASK = (
    select(HumanTask)
    .where(HumanTask.case_id == bindparam("case_id"), HumanTask.state == "open",
           _MINE | (HumanTask.assignee.is_(None) & HumanTask.role.in_(bindparam("roles", expanding=True))))
    .order_by(_MINE.desc(), HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    .limit(1)
)
