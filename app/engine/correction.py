"""Correcting one value in a running workflow's data (the beheerder's repair, app/service/corrections.py).

SpiffWorkflow 3.2 keeps the data a process works with in each task (`task.data`), not in one place:
a task's data is copied on to the tasks after it when it completes, and expressions (gateway
conditions, timers, `camunda:assignee`, `camunda:dueDate`) are evaluated against the data of the
task they belong to. `workflow.data` only holds data objects and, at the end, the outputs; the root
task's data is the start data, which no later expression reads. So a correction is written into the
data of every *live* task: ready (a user task waiting for a person), waiting (a timer or a message
catch, a join) and started (the call activity or sub-process around a live task), in the top
workflow and in every sub-workflow. That is exactly where the next expression reads it: a timer that
fires hands its waiting task's data to what follows; a user task's completion starts from its data.

It is also written into the data of each live task's parent (a completed task): a waiting task
re-inherits its parent's data every time the engine updates it (`TaskSpec._update_hook` calls
`Task._inherit_data`, a merge in which the parent's values win), so a timer corrected only in
its own data would get the old value back the moment it fires.

A parallel join waiting for other branches carries no data of its own: the branches that reached
it keep theirs in their last task (app/engine/join.py `branch_ends`), where the join reads it when
it goes on. Those are read and written too, so a value a finished branch set can be corrected and
no finished branch brings the old value back.
"""
from __future__ import annotations

import copy

from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

from .join import branch_ends
from .runtime import Run

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def live_tasks(run: Run) -> list:
    tasks = []
    for workflow in (run.wf, *run.wf.subprocesses.values()):
        tasks.extend(t for t in workflow.tasks.values() if t.has_state(LIVE))
    return tasks


def _waiting_join(task) -> bool:
    return task.state == TaskState.WAITING and isinstance(task.task_spec, UnstructuredJoin)


def _holders(task) -> list:
    """Where a live task's data is: its own, or for a waiting join the finished branches' last tasks."""
    return branch_ends(task) if _waiting_join(task) else [task]


def current_values(run: Run, field: str) -> dict[str, object]:
    """{BPMN id: value} of the live tasks that hold `field` (tasks without a BPMN id are internal)."""
    values = {}
    for task in live_tasks(run):
        for holder in _holders(task):
            if field in holder.data and task.task_spec.bpmn_id:
                values[task.task_spec.bpmn_id] = holder.data[field]
    return values


def live_fields(run: Run) -> set[str]:
    return {key for t in live_tasks(run) for holder in _holders(t) for key in holder.data}


def set_value(run: Run, field: str, value) -> list[str]:
    """Write `value` as `field` into every live task's data; the BPMN ids of the elements changed."""
    changed = []
    for task in live_tasks(run):
        for target in (task, task.parent, *(branch_ends(task) if _waiting_join(task) else [])):
            if target is not None:
                target.data[field] = copy.deepcopy(value)  # no list or dict shared between tasks
        if task.task_spec.bpmn_id:
            changed.append(task.task_spec.bpmn_id)
    return sorted(set(changed))
