"""The element-passage projection: with every act, which diagram elements the instance passed.

The event log holds this in each event's JSON (`steps`, and the completed task); reading that for
thousands of cases is slow, so the same facts go, in the act's own transaction, into the narrow
table element_passage that the overview and the heatmap count with an index. Derived data: the
migration that made the table filled it from the events, and a case's rows go with the case.
"""
from __future__ import annotations

from persistence.models import ElementPassage

from .. import instances
from ..writes import insert_rows

_TABLE = ElementPassage.__table__


def passed(type_: str, task_bpmn_id: str | None, data: dict) -> list[tuple[str, str, str]]:
    """(process_id, bpmn_id, kind) of what one event records; the migration 0013 has a copy."""
    items = []
    if type_ == "task_completed" and task_bpmn_id and data.get("process_id"):
        items.append((data["process_id"], task_bpmn_id, "UserTask"))
    for step in data.get("steps") or []:
        if step.get("bpmn_id") and step.get("process_id"):
            items.append((step["process_id"], step["bpmn_id"], step.get("type") or ""))
    return items


def after_act(ctx, session, instance, event, outgoing) -> None:
    rows = [dict(case_id=event.case_id, instance_id=instance.id, process_id=process_id, bpmn_id=bpmn_id,
                 kind=kind[:40], at=event.at)
            for process_id, bpmn_id, kind in passed(event.type, event.task_bpmn_id, event.data)]
    if rows:
        insert_rows(session, _TABLE, rows)


instances.AFTER_ACT.append(after_act)
