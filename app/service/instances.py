"""Loading, saving and projecting one process instance inside a transaction."""
from __future__ import annotations

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.engine.runtime import EngineError, Run
from app.engine import state_format
from persistence.models import Case, HumanTask, ProcessInstance, ProcessVersion

from . import events, incidents, notifications, seals
from . import versions
from .context import Context
from .errors import InvalidInput, NotFound, ProcessFailed, ServiceError
from .writes import execute_write, insert_rows


def load_run(ctx: Context, instance: ProcessInstance) -> Run:
    spec, subs = ctx.specs.get_by_id(instance.process_version_id, lambda: instance.process_version)
    return ctx.runtime.load(instance.state, spec, subs)


# Built once: constructing a statement costs more than running it on every act.
_OPEN_TASKS = select(HumanTask.id, HumanTask.spiff_task_id).where(
    HumanTask.instance_id == bindparam("instance_id"), HumanTask.state == "open")
_TASK_TABLE = HumanTask.__table__
_CANCEL_TASKS = update(_TASK_TABLE).where(_TASK_TABLE.c.id.in_(bindparam("ids", expanding=True))).values(
    state="cancelled", completed_at=bindparam("now"))

# Called after every act with (ctx, session, instance, event, outgoing): modules that keep documents
# of a case (the Veiligheidskaart, letters) register here instead of every act knowing them.
AFTER_ACT: list = []


def record_act(ctx: Context, session: Session, instance: ProcessInstance, run: Run, log, *, type: str,
               actor: str, data: dict, task_bpmn_id: str | None = None, human_task_id: int | None = None,
               completing: tuple[HumanTask, dict] | None = None):
    """After the engine moved: save it, project the inbox, log the event, queue the mails.

    One place for every act (start, completion, message, timer), so none of them can forget a part.
    `completing`: the task a person completed with this act and its new column values.
    """
    outgoing = run.outgoing()  # drained before saving, so each message is recorded once
    new_tasks = save_run(ctx, session, instance, run, completing)
    # Held for the rest of the act: the session keeps objects only while referenced, and the mails
    # and hooks below each ask for the case (one read instead of one each).
    case = session.get(Case, instance.case_id)
    event = events.append(
        session, case_id=instance.case_id, instance_id=instance.id, type=type, actor=actor, at=ctx.now(),
        task_bpmn_id=task_bpmn_id, human_task_id=human_task_id,
        data={**data, "steps": log.steps,
              "outgoing": [{k: v for k, v in item.items() if k != "payload"} for item in outgoing]},
        state_fingerprint=run.fingerprint(),
    )
    notifications.enqueue(session, instance.case_id, event.seq, outgoing, new_tasks, ctx.now(), ctx.base_url)
    escalations = [item for item in outgoing if item["kind"] == "escalation"]
    if escalations:
        case.signalen = [*(case.signalen or []), *(
            {"code": item.get("code") or item["name"], "omschrijving": notifications.describe_escalation(item),
             "at": ctx.now().isoformat()} for item in escalations)]
    for hook in AFTER_ACT:
        try:
            hook(ctx, session, instance, event, outgoing)
        except ProcessFailed as exc:  # a letter that may not be made, a follow-up not in use: an incident
            raise incidents.hook_failed(exc, hook, instance, event)
        except (ServiceError, SQLAlchemyError):
            raise
        except Exception as exc:  # noqa: BLE001 - a document or mail that cannot be made: an incident
            raise incidents.hook_failed(exc, hook, instance, event) from exc
    return event


def save_run(ctx: Context, session: Session, instance: ProcessInstance, run: Run,
             completing: tuple[HumanTask, dict] | None = None) -> list[dict]:
    """Write the engine state and the columns people and the timer worker query (and the
    completed task's row: after the instance's, the lock order of every act); the new tasks."""
    now = ctx.now()
    values = dict(state=run.dump(), serializer_version=state_format.column_value(),  # "v2/1.5"
                  next_timer_at=run.next_timer_at(), waiting_messages=run.waiting_messages(), updated_at=now)
    if run.completed and instance.status != "completed":
        values.update(status="completed", eindstatus=run.end_state(), completed_at=now)
    write_instance(session, instance, values)
    if completing is not None:
        write_task(session, *completing)
    return project_tasks(ctx, session, instance, run)


_INSTANCE_TABLE = ProcessInstance.__table__
_UPDATE_INSTANCE = update(_INSTANCE_TABLE).where(
    _INSTANCE_TABLE.c.id == bindparam("b_id"), _INSTANCE_TABLE.c.version == bindparam("b_version")
).values(version=bindparam("b_next"))
_CASE_TABLE = Case.__table__
_UPDATE_CASE = update(_CASE_TABLE).where(_CASE_TABLE.c.id == bindparam("b_id"))
_UPDATE_OPEN_TASK = update(_TASK_TABLE).where(_TASK_TABLE.c.id == bindparam("b_id"), _TASK_TABLE.c.state == "open")


def _write(session: Session, row, case_id: int, statement, values: dict, keys: dict, stale: str | None) -> None:
    """Write these columns of a loaded row as the ORM's flush would, with one plain UPDATE (a flush
    costs several times the statement, and acts run this every time): the session's object keeps
    the new values, the case is marked for its seal. `stale`: a miss is a lost race (a Conflict).
    A row with other pending changes (a migration's) is left to the flush, which writes them all."""
    if inspect(row).modified:
        for name, value in values.items():
            setattr(row, name, value)
        return
    if execute_write(session, statement, {**values, **keys}).rowcount != 1 and stale:
        raise StaleDataError(stale)
    for name, value in values.items():
        set_committed_value(row, name, value)
    seals.touch(session, case_id)


def write_instance(session: Session, instance: ProcessInstance, values: dict) -> None:
    """The instance's columns under its optimistic lock: a stale version is a Conflict."""
    version = instance.version
    modified = inspect(instance).modified
    _write(session, instance, instance.case_id, _UPDATE_INSTANCE, values,
           {"b_id": instance.id, "b_version": version, "b_next": version + 1},
           f"process_instance {instance.id}: version {version} is no longer current")
    if not modified:
        set_committed_value(instance, "version", version + 1)


def write_case(session: Session, case: Case, values: dict) -> None:
    _write(session, case, case.id, _UPDATE_CASE, values, {"b_id": case.id}, None)


def write_task(session: Session, task: HumanTask, values: dict) -> None:
    """An open task's columns; one no longer open (completed or cancelled meanwhile) is a Conflict."""
    _write(session, task, task.case_id, _UPDATE_OPEN_TASK, values, {"b_id": task.id},
           f"human_task {task.id} is no longer open")


def project_tasks(ctx: Context, session: Session, instance: ProcessInstance, run: Run) -> list[dict]:
    """Make the inbox rows of this instance match the engine's ready user tasks.

    Plain statements rather than ORM objects: this runs on every act and only writes.
    """
    try:
        ready = {info.spiff_id: info for info in run.ready_user_tasks()}
    except EngineError as exc:
        raise incidents.failed(exc, instance) from exc
    session.flush()  # the task a person just completed is no longer open
    open_rows = session.execute(_OPEN_TASKS, {"instance_id": instance.id}).all()
    now = ctx.now()
    gone = [row.id for row in open_rows if row.spiff_task_id not in ready]
    if gone:
        # Gone without being completed by a person: a timer or message overtook it.
        execute_write(session, _CANCEL_TASKS, {"ids": gone, "now": now})
        seals.touch(session, instance.case_id)
        for task_id in gone:  # a loaded row says what the database now holds
            task = session.identity_map.get(identity_key(HumanTask, task_id))
            if task is not None:
                set_committed_value(task, "state", "cancelled")
                set_committed_value(task, "completed_at", now)
    known = {row.spiff_task_id for row in open_rows}
    new_rows = [
        dict(case_id=instance.case_id, instance_id=instance.id, spiff_task_id=spiff_id, bpmn_id=info.bpmn_id,
             name=info.name, process_id=info.process_id, role=info.role, assignee=info.assignee,
             form_key=info.form_key, documentation=info.documentation, due_at=info.due_at, state="open",
             created_at=now)
        for spiff_id, info in ready.items() if spiff_id not in known
    ]
    if new_rows:
        insert_rows(session, _TASK_TABLE, new_rows)
    return new_rows


def running_instance(session: Session, case_id: int | None, instance_id: int, what: str) -> ProcessInstance:
    """A running instance (of that case, when given) for a repair; `what` ends the refusal: "alleen
    ... kan ..." in Dutch."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or (case_id is not None and instance.case_id != case_id):
        raise NotFound(f"Procesinstantie {instance_id} bestaat niet" +
                       (f" in casus {case_id}." if case_id is not None else "."))
    if instance.status != "running":
        raise InvalidInput(f"Procesinstantie {instance_id} loopt niet meer (status: {instance.status}); {what}", {})
    return instance


def version_for_start(session: Session, process_id: str) -> ProcessVersion | None:
    """The version new cases start on (the chosen default, else the newest not retired)."""
    return versions.version_for_start(session, process_id)
