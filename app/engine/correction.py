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
"""
from __future__ import annotations

import copy

from SpiffWorkflow.util.task import TaskState

from .runtime import Run

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def live_tasks(run: Run) -> list:
    tasks = []
    for workflow in (run.wf, *run.wf.subprocesses.values()):
        tasks.extend(t for t in workflow.tasks.values() if t.has_state(LIVE))
    return tasks


def current_values(run: Run, field: str) -> dict[str, object]:
    """{BPMN id: value} of the live tasks that hold `field` (tasks without a BPMN id are internal)."""
    return {t.task_spec.bpmn_id: t.data[field] for t in live_tasks(run)
            if field in t.data and t.task_spec.bpmn_id}


def live_fields(run: Run) -> set[str]:
    return {key for t in live_tasks(run) for key in t.data}


def set_value(run: Run, field: str, value) -> list[str]:
    """Write `value` as `field` into every live task's data; the BPMN ids of the elements changed."""
    changed = []
    for task in live_tasks(run):
        for target in (task, task.parent):
            if target is not None:
                target.data[field] = copy.deepcopy(value)  # no list or dict shared between tasks
        if task.task_spec.bpmn_id:
            changed.append(task.task_spec.bpmn_id)
    return sorted(set(changed))
