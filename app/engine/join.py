"""A parallel join that keeps what each branch changed.

SpiffWorkflow 3.2's parallel join (`UnstructuredJoin._run_hook`) builds the data after the join by
merging the data of every branch end, in the order the branches finished, and then its own
branch's data on top. Every branch carries a copy of all the data it started with, so a value that
was already there before the split and that one branch changed is overwritten again by the *old*
copy that a later branch carried along. In "Gesprek organiseren" (moment, safety and chair, and
location side by side) that happens when the conversation is planned again: the case already
holds the first date, the moment branch sets a new one, and the location branch, finished last,
brings the first date back, so the invitation would name the old date.

Here the stock merge runs first, on copies (values no branch touched, and values that more than
one branch changed, come out as before); then every name that exactly one branch changed relative
to the data at the split takes that branch's value (or is removed when that branch removed it).
The split is the branches' common ancestor in the task tree; prune.py keeps it while a branch is
still running. Without it the stock result stands.
"""
from __future__ import annotations

import copy

from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

_MISSING = object()


def _chain(task) -> list:
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    return chain[::-1]


def _common_ancestor(tasks):
    common = _chain(tasks[0])
    for task in tasks[1:]:
        chain = _chain(task)
        n = 0
        while n < len(common) and n < len(chain) and common[n] is chain[n]:
            n += 1
        common = common[:n]
    return common[-1] if common else None


def branch_ends(my_task) -> list:
    """The last task of every branch that reached the join `my_task` belongs to (its own last),
    in the order they arrived: where the data of a finished branch waits until the join goes on.
    (SpiffWorkflow keeps one join task per arrived branch; all but the newest are cancelled.)"""
    others = sorted((t for t in my_task.workflow.tasks.values()
                     if t.task_spec == my_task.task_spec and t is not my_task
                     and t.has_state(TaskState.FINISHED_MASK) and not my_task.is_descendant_of(t)
                     and t.parent is not None), key=lambda t: t.last_state_change)
    return [t.parent for t in others] + ([my_task.parent] if my_task.parent is not None else [])


class VhtParallelGateway(ParallelGateway):
    """bpmn:parallelGateway; as a join it keeps the value a single branch changed."""

    def _run_hook(self, my_task):
        # As UnstructuredJoin._run_hook: the other branches in the order they finished, then our own.
        others = sorted((t for t in my_task.workflow.tasks.values()
                         if t.task_spec == self and t is not my_task and t.has_state(TaskState.FINISHED_MASK)
                         and not my_task.is_descendant_of(t)), key=lambda t: t.last_state_change)
        ends = [t.parent for t in others if t.parent is not None] + [my_task.parent]
        # Deep copies throughout: the stock merge changes lists and dicts in place, and a branch's
        # data shares them with the tasks before the split (and, in a called process, with the
        # caller), so the stock join could change data outside the join.
        ends_data = [copy.deepcopy(end.data) for end in ends]
        merged = copy.deepcopy(my_task.data)
        for other, data in zip([t for t in others if t.parent is not None], ends_data):
            DeepMerge.merge(merged, data)
            # (stock) a branch reset into a cancelled one leaves the completed one's descendants behind
            if other.has_state(TaskState.COMPLETED):
                other._drop_children(force=True)
        DeepMerge.merge(merged, copy.deepcopy(ends_data[-1]))

        split = _common_ancestor(ends) if len(ends) > 1 else None
        if split is not None and split not in ends:
            before = split.data
            for name in set(before).union(*ends_data):
                old = before.get(name, _MISSING)
                changed = [data.get(name, _MISSING) for data in ends_data if data.get(name, _MISSING) != old]
                if len(changed) != 1:
                    continue  # untouched, or changed in several branches: the stock merge decides
                if changed[0] is _MISSING:
                    merged.pop(name, None)
                else:
                    merged[name] = copy.deepcopy(changed[0])
        my_task.data = merged
        return True
