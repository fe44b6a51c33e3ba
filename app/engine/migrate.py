"""Moving one running workflow onto the specs of another version of its procedure.

Built on SpiffWorkflow's own `diff_workflow` / `migrate_workflow` (SpiffWorkflow.bpmn.util.diff):
the diff aligns the old task specs with the new ones (by BPMN id, else by structure), and the
migration points every task at its new spec and re-predicts the branches that are waiting.

Two things the stock migration does that a running case must not notice, undone here:
- re-predicting a waiting task clears its internal data, so a timer would be re-armed from the
  moment of migration; a timer whose definition did not change keeps its recorded due time;
- a reset task takes its parent's data again; a task that stays keeps the data it had.

A case whose running or waiting element no longer exists in the new version is refused, unless
the process owner chose a user task of the new version for it to go on at (only for an open user
task without boundary events). Nothing in here knows about the database.
"""
from __future__ import annotations

import copy
from uuid import UUID, uuid4
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .expressions import ExpressieFout
from .runtime import EngineError, Run, UserTaskInfo, _failure, _process_of
from .serializer import serializer

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_RESET = TaskState.READY | TaskState.WAITING  # what migrate_workflow re-predicts by default


class MigrationRefused(Exception):
    """The case cannot be moved to the new version as it stands (Dutch reason for the owner)."""


@dataclass
class Migrated:
    """The user tasks that stay open, end and begin (by engine task id), with their info."""
    stays: list[UserTaskInfo] = field(default_factory=list)
    removed: list[UserTaskInfo] = field(default_factory=list)
    added: list[UserTaskInfo] = field(default_factory=list)


def _label(task) -> str:
    spec = task.task_spec
    return f"'{spec.bpmn_name or spec.bpmn_id}' ({spec.bpmn_id}, {_process_of(task)})"


def _check(diff, what: str, targets: dict[str, str]) -> None:
    for task in list(diff.removed):
        if task.has_state(ACTIVE) and task.task_spec.bpmn_id:
            if task.task_spec.bpmn_id in targets:
                _retarget(diff, task, targets[task.task_spec.bpmn_id], what)
                continue
            raise MigrationRefused(f"de stap {_label(task)} waar de casus nu staat, bestaat niet in de nieuwe "
                                   f"versie{what}; kies een doelstap in de nieuwe versie (vht migrate --doel "
                                   f"{task.task_spec.bpmn_id}=...) of laat de casus op deze versie")
    for task in diff.changed:
        # Matched by id or by place, but another kind of element (a task that became a gateway):
        # the engine would carry the running step over into something it is not.
        new = diff.alignment.get(task)
        if task.has_state(ACTIVE) and task.task_spec.bpmn_id and "typename" in diff.spec_diff.changed.get(task.task_spec, ()):
            raise MigrationRefused(f"de stap {_label(task)} waar de casus nu staat, is in de nieuwe versie{what} een "
                                   f"ander soort element ({type(new).__name__ if new is not None else '?'})")


def _retarget(diff, task, target_id: str, what: str) -> None:
    """The owner chose where a waiting user task whose element is gone goes on: a user task of the
    same process in the new version. The engine task is carried over to it (its boundary events
    with it), as SpiffWorkflow carries over an aligned one."""
    if not (task.has_state(TaskState.READY) and isinstance(task.task_spec, UserTaskMixin)):
        raise MigrationRefused(f"voor de stap {_label(task)} kan geen doelstap gekozen worden: dat kan alleen "
                               "voor een gebruikerstaak die openstaat")
    if type(task.parent.task_spec).__name__ == "BoundaryEventSplit":
        raise MigrationRefused(f"de stap {_label(task)} heeft een gebeurtenis op de rand (termijn of bericht); "
                               "een doelstap kiezen kan daar niet")
    target = diff.new_spec.task_specs.get(target_id)
    if target is None or not isinstance(target, UserTaskMixin):
        raise MigrationRefused(f"de doelstap '{target_id}' is geen gebruikerstaak van {diff.new_spec.name} in de "
                               f"nieuwe versie{what}")
    entry = target
    if len(target.inputs) == 1 and type(target.inputs[0]).__name__ == "BoundaryEventSplit":
        entry = target.inputs[0]  # start at the split, so the target's boundary events wait too
    diff.removed.remove(task)
    diff.alignment[task] = entry


def migrate(run: Run, spec, subprocess_specs: dict, targets: dict[str, str] | None = None) -> Migrated:
    """Move `run` onto `spec` / `subprocess_specs` in place; MigrationRefused leaves it unchanged
    only in the sense that the caller must drop it (load the state again). `targets`: for a
    waiting user task whose element is gone, {its BPMN id: the user task it goes on at}."""
    targets = targets or {}
    wf = run.wf
    before = {info.spiff_id: info for info in run.ready_user_tasks()}
    registry = serializer()._ser.registry
    try:
        top_diff, sub_diffs = _diff_workflow(registry, wf, spec, subprocess_specs)
    except (SpiffWorkflowException, KeyError, AttributeError) as exc:
        raise MigrationRefused(f"de versies zijn niet te vergelijken ({exc})") from exc
    _check(top_diff, "", targets)
    for sp_id, diff in sub_diffs.items():
        sub = wf.subprocesses[sp_id]
        if diff is None:
            if any(t.has_state(ACTIVE) for t in sub.tasks.values()):
                raise MigrationRefused(f"het deelproces '{sub.spec.name}' waar de casus nu in staat, bestaat niet "
                                       "in de nieuwe versie")
            continue
        _check(diff, f" (in deelproces '{sub.spec.name}')", targets)

    # What stays as it was: every waiting task's data, and its timer unless the timer changed.
    kept = {}
    for workflow, diff in ((wf, top_diff), *((wf.subprocesses[k], d) for k, d in sub_diffs.items() if d)):
        changed = {task.id: diff.spec_diff.changed.get(task.task_spec, ()) for task in diff.changed}
        for task in workflow.get_tasks(state=_RESET, skip_subprocesses=True):
            keep_timer = "event_definition" not in changed.get(task.id, ())
            kept[task.id] = (copy.deepcopy(task.data), copy.deepcopy(task.internal_data) if keep_timer else None)
    try:
        wf.subprocess_specs = subprocess_specs
        migrate_workflow(top_diff, wf, spec)
        for sp_id, diff in sub_diffs.items():
            if diff is not None:
                sub = wf.subprocesses[sp_id]
                migrate_workflow(diff, sub, subprocess_specs[sub.spec.name])
        for workflow in (wf, *wf.subprocesses.values()):
            for task in workflow.get_tasks(state=_RESET, skip_subprocesses=True):
                if task.id in kept:
                    data, internal = kept[task.id]
                    task.data = data
                    if internal is not None:
                        task.internal_data = internal
        # Engine steps only (a changed gateway or a task that became ready); due timers are the
        # worker's, not the migration's.
        wf.do_engine_steps()
    except (SpiffWorkflowException, ExpressieFout) as exc:
        raise EngineError(f"de migratie liep vast: {_failure(exc)}") from exc
    after = {info.spiff_id: info for info in run.ready_user_tasks()}
    # A task that now stands for another element (aligned by structure: its id changed) is another
    # step for the people working it: it ends and a new one begins.
    same = {k for k in after if k in before and before[k].bpmn_id == after[k].bpmn_id}
    for spiff_id in [k for k in after if k in before and k not in same]:
        renew_task_id(wf, UUID(spiff_id))
    after = {info.spiff_id: info for info in run.ready_user_tasks()}
    return Migrated(stays=[after[k] for k in after if k in same], removed=[before[k] for k in before if k not in same],
                    added=[after[k] for k in after if k not in same])


def renew_task_id(wf, key: UUID) -> None:
    """Give a task a fresh id, so the inbox sees a new task, not the old one under another name.

    In place in the tasks mapping: the serializer stores a task's data as a delta against its
    parent and restores the tasks in mapping order, so a parent moved behind its children (as a
    pop and re-insert does) would load them with empty data."""
    for workflow in (wf, *wf.subprocesses.values()):
        task = workflow.tasks.get(key)
        if task is not None:
            task.id = uuid4()
            workflow.tasks = {(task.id if k == key else k): v for k, v in workflow.tasks.items()}
            # Parents and children point at each other by id.
            parent = workflow.tasks.get(task._parent)
            if parent is not None:
                parent._children = [task.id if child == key else child for child in parent._children]
            for child in task.children:
                child._parent = task.id
            return


def _diff_workflow(registry, wf, spec, subprocess_specs):
    """SpiffWorkflow's diff_workflow, keeping each SpecDiff (which attributes changed) on its diff."""
    def diff(workflow, new_spec):
        spec_diff = SpecDiff(registry, workflow.spec, new_spec)
        result = WorkflowDiff(workflow, spec_diff)
        result.spec_diff, result.new_spec = spec_diff, new_spec
        return result

    subs = {sp_id: diff(sub, subprocess_specs[sub.spec.name]) if sub.spec.name in subprocess_specs else None
            for sp_id, sub in wf.subprocesses.items()}
    return diff(wf, spec), subs
