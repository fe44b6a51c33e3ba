"""Moving a running case within its own version: the open user task ends, another user task of
the same (sub)process begins (the beheerder's repair, app/service/moves.py).

Why not SpiffWorkflow's reset (`reset_from_task_id` / `Task.reset_branch`) for a move back: it
needs the completed task still in the tree, below a parent whose data it takes again. Our engine
prunes the tree after every act (app/engine/prune.py: the nearest completed ancestor of the open
tasks becomes the root, without a parent), so an earlier task is at best the parentless root and
usually gone. Both directions therefore use the mechanics of a migration target
(app/engine/migrate.py `_retarget`): the engine task of the open step is pointed at the target's
spec (at its boundary split, so the target's deadlines wait too) and re-predicted from there. The
target begins with the data the case has now (so a redone form opens with the earlier answers).

Refused, in Dutch: a target that is not a user task (gateway, event, sub-process, automatic
step), one in another (sub)process than the open task, the open task itself, a case with other
running branches in that (sub)process (a parallel join would wait for ever or run twice), and a
target inside a parallel branch (its join would wait for a branch that never started).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .expressions import ExpressieFout
from .migrate import renew_task_id
from .runtime import EngineError, Run, StepLog, UserTaskInfo, _failure

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_PARALLEL = ("ParallelGateway", "InclusiveGateway")


class MoveRefused(EngineError):
    """The move cannot be done safely (Dutch reason for the beheerder)."""


@dataclass
class Moved:
    ended: list[UserTaskInfo] = field(default_factory=list)
    begun: list[UserTaskInfo] = field(default_factory=list)
    log: StepLog = field(default_factory=StepLog)


def _kind(spec) -> str:
    names = [cls.__name__ for cls in type(spec).__mro__]
    if any("Gateway" in n for n in names):
        return "een gateway (keuze- of samenvoegpunt)"
    if any("Event" in n for n in names):
        return "een gebeurtenis"
    if any(n in ("CallActivity", "SubWorkflowTask", "SubprocessTask", "TransactionSubprocess") for n in names):
        return "een deelproces"
    return "een automatische stap"


def _label(spec) -> str:
    return f"'{spec.bpmn_name or spec.bpmn_id}' ({spec.bpmn_id})"


def _is_parallel(spec, joining: bool) -> bool:
    if not any(cls.__name__ in _PARALLEL for cls in type(spec).__mro__):
        return False
    return len(spec.inputs) > 1 if joining else len(spec.outputs) > 1


def inside_parallel_branch(target) -> bool:
    """Whether the flow from `target` reaches a parallel join before it reached the split of that
    join: then `target` lies inside a branch, and the join would wait for the other branches."""
    stack, seen = [(target, 0)], set()
    while stack:
        spec, depth = stack.pop()
        if (spec.name, depth) in seen or depth > 50:
            continue
        seen.add((spec.name, depth))
        for out in spec.outputs:
            level = depth
            if _is_parallel(out, joining=True):
                level -= 1
                if level < 0:
                    return True
            if _is_parallel(out, joining=False):
                level += 1
            stack.append((out, level))
    return False


def _find_open(run: Run, from_bpmn_id: str):
    tasks = [t for t in run.wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == from_bpmn_id]
    if not tasks:
        open_now = sorted({t.task_spec.bpmn_id for t in run.wf.get_tasks(state=TaskState.READY, manual=True)})
        raise MoveRefused(f"de taak '{from_bpmn_id}' staat niet open in deze casus (open: "
                          f"{', '.join(open_now) or 'geen'})")
    if len(tasks) > 1:
        raise MoveRefused(f"de taak '{from_bpmn_id}' staat meer dan eens open; verplaatsen kan alleen bij één open "
                          "taak van die stap")
    return tasks[0]


def _other_workflow(run: Run, to_bpmn_id: str) -> str | None:
    for spec in (run.wf.spec, *run.wf.subprocess_specs.values()):
        if to_bpmn_id in spec.task_specs:
            return spec.name
    return None


def check(run: Run, from_bpmn_id: str, to_bpmn_id: str):
    """(the open engine task, the target spec) when the move is allowed; else MoveRefused."""
    task = _find_open(run, from_bpmn_id)
    workflow = task.workflow
    target = workflow.spec.task_specs.get(to_bpmn_id)
    if target is None or not target.bpmn_id:
        elsewhere = _other_workflow(run, to_bpmn_id)
        if elsewhere:
            raise MoveRefused(f"'{to_bpmn_id}' ligt in een ander (deel)proces ({elsewhere}) dan de open taak "
                              f"({workflow.spec.name}); verplaatsen kan alleen binnen hetzelfde (deel)proces")
        raise MoveRefused(f"'{to_bpmn_id}' bestaat niet in {workflow.spec.name}")
    if to_bpmn_id == from_bpmn_id:
        raise MoveRefused("de casus staat al bij deze taak")
    if not isinstance(target, UserTaskMixin):
        raise MoveRefused(f"{_label(target)} is {_kind(target)}; een casus kan alleen naar een gebruikerstaak "
                          "verplaatst worden")
    # The open task with its boundary events (the split above them is where they meet).
    node = task.parent if type(task.parent.task_spec).__name__ == "BoundaryEventSplit" else task
    own = {t.id for t in node} | {node.id}
    others = [t for t in workflow.tasks.values()
              if t.has_state(LIVE) and t.id not in own and t is not workflow.task_tree and t.task_spec.bpmn_id]
    if others:
        names = sorted({_label(t.task_spec) for t in others})
        raise MoveRefused(f"in {workflow.spec.name} lopen nog andere takken ({', '.join(names)}); verplaatsen "
                          "kan alleen als de open taak de enige lopende stap van dat (deel)proces is")
    if inside_parallel_branch(target):
        raise MoveRefused(f"{_label(target)} ligt in een parallelle tak; de samenvoeging zou wachten op takken "
                          "die niet gestart zijn")
    return task, target


def move(run: Run, from_bpmn_id: str, to_bpmn_id: str) -> Moved:
    """End the open user task `from_bpmn_id` and begin user task `to_bpmn_id` of the same
    (sub)process, in place. MoveRefused (checked before anything changes) or EngineError."""
    task, target = check(run, from_bpmn_id, to_bpmn_id)
    node = task.parent if type(task.parent.task_spec).__name__ == "BoundaryEventSplit" else task
    before = {info.spiff_id: info for info in run.ready_user_tasks()}
    entry = target
    if len(target.inputs) == 1 and type(target.inputs[0]).__name__ == "BoundaryEventSplit":
        entry = target.inputs[0]  # start at the split, so the target's boundary events wait too
    moved = Moved()
    try:
        if node is not task:
            # The open task's boundary events (deadlines, messages) end with it: cancelled, so the
            # engine's event manager lets go of them too. The split stays as the (completed) parent:
            # after pruning it is often the root of the tree, which has no parent to reset from.
            for child in list(node.children):
                if child is not task:
                    child.cancel()
        kept_id = task.id
        task.task_spec = entry
        task.reset_branch(None)  # the engine's own reset: drops the old branch, predicts the new one
        task.workflow.last_task = task.parent
        run.wf.do_engine_steps(did_complete_task=moved.log.record)
    except (SpiffWorkflowException, ExpressieFout) as exc:
        raise EngineError(f"het verplaatsen liep vast: {_failure(exc)}") from exc
    after = {info.spiff_id: info for info in run.ready_user_tasks()}
    if str(kept_id) in after:  # the same engine task now stands for another step: a new inbox row
        renew_task_id(run.wf, kept_id)
        after = {info.spiff_id: info for info in run.ready_user_tasks()}
    moved.ended = [before[k] for k in before if k not in after]
    moved.begun = [after[k] for k in after if k not in before]
    return moved


def choices(run: Run) -> list[tuple[UserTaskInfo, list[tuple[str, str]]]]:
    """Per open user task: the other user tasks of its (sub)process, (BPMN id, name), for a form.
    Only candidates: the move itself checks what is safe."""
    result = []
    for task in run.wf.get_tasks(state=TaskState.READY, manual=True):
        specs = sorted((s for s in task.workflow.spec.task_specs.values()
                        if isinstance(s, UserTaskMixin) and s.bpmn_id and s.bpmn_id != task.task_spec.bpmn_id),
                       key=lambda s: (s.bpmn_name or s.bpmn_id).lower())
        result.append((run._info(task), [(s.bpmn_id, s.bpmn_name or s.bpmn_id) for s in specs]))
    return result
