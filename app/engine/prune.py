"""Keep the task tree from growing with every completed step.

SpiffWorkflow keeps every task it ever ran. A rework loop therefore grows the state by about
1.2 KB per pass, makes every step slower, and past a tree depth of 1000 the engine silently stops
finding ready tasks (research notes §6). History lives in our event log, so the tree only needs
what is still running: we re-root each (sub)workflow at the nearest completed ancestor of all its
unfinished tasks and drop everything above and beside it.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState


def _ancestors(task) -> list:
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    return chain[::-1]


def _prune_one(workflow) -> set:
    """Prune one workflow's own tree; return the ids of the tasks that were dropped."""
    unfinished = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not unfinished:
        return set()
    # Lowest common ancestor of the unfinished tasks.
    common = _ancestors(unfinished[0])
    for task in unfinished[1:]:
        chain = _ancestors(task)
        n = 0
        while n < len(common) and n < len(chain) and common[n] is chain[n]:
            n += 1
        common = common[:n]
    if not common:
        return set()
    root = common[-1]
    while root is not None and root.state != TaskState.COMPLETED:
        root = root.parent
    if root is None or root is workflow.task_tree:
        return set()

    keep = set()
    stack = [root]
    while stack:
        task = stack.pop()
        keep.add(task.id)
        stack.extend(task.children)
    dropped = set(workflow.tasks) - keep
    # The new root materialises its full data (children store deltas against it).
    root.data = dict(root.data)
    root._parent = None
    for task_id in dropped:
        del workflow.tasks[task_id]
    workflow.task_tree = root
    if workflow.last_task is not None and workflow.last_task.id in dropped:
        workflow.last_task = root
    return dropped


def prune(workflow) -> int:
    """Prune the top workflow and every sub-workflow; return how many tasks were dropped."""
    removed = len(_prune_one(workflow))
    for sub in list(workflow.subprocesses.values()):
        removed += len(_prune_one(sub))
    # A finished sub-workflow has merged its data back into the call activity; once that task is
    # completed or gone, the sub-workflow is history (children before parents, so loop).
    changed = True
    while changed:
        changed = False
        for task_id, sub in list(workflow.subprocesses.items()):
            owner = _owner(workflow, sub)
            if owner is None or (sub.completed and owner.state == TaskState.COMPLETED):
                removed += len(sub.tasks)
                del workflow.subprocesses[task_id]
                changed = True
    return removed


def _owner(top, sub):
    """The call-activity task that started `sub`, if it is still in a tree."""
    owner_id = sub.parent_task_id
    for candidate in (top, *top.subprocesses.values()):
        if candidate is not sub and owner_id in candidate.tasks:
            return candidate.tasks[owner_id]
    return None
