"""The task-fact projection: per completed user task, the numbers the overview reads, written in
the completing act's own transaction.

The durations (opened -> picked up -> completed, see durations.py) as seconds, and the one form
value a deadline target needs (the CAB's date, the conversation's outcome): the overview then
reads one narrow row per task instead of parsing timestamps and every completion event's JSON.
Derived data: the migration 0014 filled it from the tasks and events already written; a case's
rows go with the case (retention).
"""
from __future__ import annotations

from sqlalchemy import func, select

from persistence.models import Event, HumanTask, TaskFeit

from .. import instances
from ..writes import insert_rows

_TABLE = TaskFeit.__table__

# The form field whose value a target reads, per task (compliance.py; the migration 0014 has a copy).
VALUE_FIELDS = {"Task_CabHouden": "cab_gehouden_op", "Task_InterventiegesprekVoeren": "gesprek_uitkomst"}

_FIRST_CLAIM = select(func.min(Event.at)).where(Event.type == "task_claimed")


def first_claim_column(task_id_column):
    """The task's first claim, as a column of another query (the completion's own read)."""
    return _FIRST_CLAIM.where(Event.human_task_id == task_id_column).scalar_subquery().label("first_claim")


def remember_first_claim(session, task_id: int, at) -> None:
    """The first claim as read in this transaction: the fact need not query it again."""
    session.info.setdefault("first_claims", {})[task_id] = at


def fact_row(task: HumanTask, first_claim, data: dict) -> dict:
    """Picked up: the first claim; else at once when it had an assignee; else when completed."""
    picked = first_claim or (task.created_at if task.assignee else task.completed_at)
    value = (data or {}).get(VALUE_FIELDS.get(task.bpmn_id, ""))
    return dict(human_task_id=task.id, case_id=task.case_id, instance_id=task.instance_id,
                process_id=task.process_id, bpmn_id=task.bpmn_id, created_at=task.created_at,
                due_at=task.due_at, completed_at=task.completed_at,
                total_s=(task.completed_at - task.created_at).total_seconds(),
                wait_s=(picked - task.created_at).total_seconds(),
                work_s=(task.completed_at - picked).total_seconds(),
                waarde=value[:40] if isinstance(value, str) else None)


def after_act(ctx, session, instance, event, outgoing) -> None:
    if event.type != "task_completed" or event.human_task_id is None:
        return
    task = session.get(HumanTask, event.human_task_id)  # the completed task, already in the session
    if task is None or task.state != "completed" or task.completed_at is None:
        return
    known = session.info.get("first_claims", {})
    claimed = known.pop(task.id) if task.id in known else \
        session.execute(_FIRST_CLAIM.where(Event.human_task_id == task.id)).scalar()
    insert_rows(session, _TABLE, [fact_row(task, claimed, (event.data or {}).get("data"))])


instances.AFTER_ACT.append(after_act)
