"""Moving a case within its version (issue 11, section 2): a beheerder ends the open task of a
running instance and lets another user task of the same (sub)process begin.

Back ('terug'): the target is a step this instance completed before (its event log says so): it
is done again. Forward or sideways ('vooruit'): a step it has not done. Both go through
app/engine/move.py, which refuses in Dutch what cannot be done safely (not a user task, another
sub-process, parallel branches). `preview_move` shows which tasks end and which begin without
saving; `move` does it as one act (instances.record_act: saved state, inbox follows: the ended
task cancelled, the begun one open) with an event 'verplaatst' holding the actor, the reason,
from, to, direction and the task changes, so `vht replay` and the deploy preview
(replay.apply_event) move the same way at the same point.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import move as engine_move
from persistence.models import Event, ProcessInstance

from . import incidents
from .context import Context
from .corrections import MAX_REASON, require_admin
from .errors import InvalidInput, PermissionDenied
from .instances import load_run, record_act, running_instance

EVENT = "verplaatst"
BACK, FORWARD = "terug", "vooruit"


@dataclass
class MovePlan:
    case_id: int
    instance_id: int
    van: str
    naar: str
    richting: str
    eindigen: list[dict] = field(default_factory=list)
    beginnen: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"case_id": self.case_id, "instance_id": self.instance_id, "van": self.van, "naar": self.naar,
                "richting": self.richting, "eindigen": self.eindigen, "beginnen": self.beginnen}

    def lines(self) -> list[str]:
        """The preview in words: what ends, what begins."""
        def names(tasks):
            return ", ".join(f"{t['naam']} ({t['bpmn_id']})" for t in tasks) or "geen"
        richting = "terug naar een eerder afgeronde stap" if self.richting == BACK else "vooruit of opzij"
        return [f"Casus {self.case_id}, procesinstantie {self.instance_id}: van {self.van} naar {self.naar} "
                f"({richting}).", f"Taken die eindigen: {names(self.eindigen)}.",
                f"Taken die beginnen: {names(self.beginnen)}."]


def _task(info) -> dict:
    return {"bpmn_id": info.bpmn_id, "naam": info.name, "procedure": info.process_id}


def _instance(session: Session, case_id: int | None, instance_id: int) -> ProcessInstance:
    return running_instance(session, case_id, instance_id, "alleen een lopende casus kan verplaatst worden.")


def _direction(session: Session, instance: ProcessInstance, naar: str) -> str:
    done = session.scalar(select(Event.seq).where(
        Event.instance_id == instance.id, Event.type == "task_completed", Event.task_bpmn_id == naar).limit(1))
    return BACK if done is not None else FORWARD


def _plan(ctx: Context, session: Session, instance: ProcessInstance, van: str, naar: str):
    """(plan, moved run, engine result); InvalidInput with the Dutch reason when refused."""
    van, naar = (van or "").strip(), (naar or "").strip()
    if not van or not naar:
        raise InvalidInput("Geef de open taak (van) en de stap waar de casus heen moet (naar).",
                           {"van" if not van else "naar": ["Dit veld is verplicht."]})
    run = load_run(ctx, instance)
    try:
        moved = engine_move.move(run, van, naar)
    except engine_move.MoveRefused as exc:
        raise InvalidInput(f"Niet te verplaatsen: {exc}.", {"naar": [str(exc)]}) from exc
    plan = MovePlan(instance.case_id, instance.id, van, naar, _direction(session, instance, naar),
                    [_task(i) for i in moved.ended], [_task(i) for i in moved.begun])
    return plan, run, moved


def preview_move(ctx: Context, case_id: int | None, instance_id: int, van: str, naar: str, actor: str) -> MovePlan:
    """Which tasks would end and which begin; writes nothing."""
    with ctx.reading() as session:
        _require(session, actor)
        instance = _instance(session, case_id, instance_id)
        return _plan(ctx, session, instance, van, naar)[0]


def move(ctx: Context, case_id: int | None, instance_id: int, van: str, naar: str, actor: str,
         reason: str) -> MovePlan:
    """Move the instance from open task `van` to user task `naar`, as one recorded act."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Geef een reden op voor het verplaatsen.", {"reden": ["Dit veld is verplicht."]})
    if len(reason) > MAX_REASON:
        raise InvalidInput("De reden is te lang.", {"reden": [f"Maximaal {MAX_REASON} tekens."]})
    with ctx.transaction() as session:
        _require(session, actor)
        instance = _instance(session, case_id, instance_id)
        plan, run, moved = _plan(ctx, session, instance, van, naar)
        record_act(ctx, session, instance, run, moved.log, type=EVENT, actor=actor, task_bpmn_id=plan.naar,
                   data={"van": plan.van, "naar": plan.naar, "richting": plan.richting, "reden": reason,
                         "eindigen": plan.eindigen, "beginnen": plan.beginnen})
        return plan


def _require(session: Session, actor: str):
    try:
        return require_admin(session, actor)
    except PermissionDenied as exc:
        raise PermissionDenied("Alleen een beheerder kan een casus verplaatsen.") from exc


def incident_choices(ctx: Context, incident_id: int, actor: str) -> list[dict]:
    """For the incident page's move form: per open task of the incident's instance, the user tasks
    it could move to ([] when the instance does not run or the actor is no beheerder)."""
    with ctx.reading() as session:
        require_admin(session, actor)
        instance = incidents.running_instance_of_open(session, incident_id)
        if instance is None:
            return []
        return [{"bpmn_id": info.bpmn_id, "naam": info.name, "procedure": info.process_id,
                 "doelen": [{"bpmn_id": b, "naam": n} for b, n in targets]}
                for info, targets in engine_move.choices(load_run(ctx, instance)) if targets]


def move_incident(ctx: Context, incident_id: int, van: str, naar: str, actor: str, reason: str | None,
                  confirmed: bool) -> MovePlan:
    """Preview (not confirmed) or move the instance an incident is about."""
    with ctx.reading() as session:
        _require(session, actor)
        case_id, instance_id = incidents.instance_of(session, incident_id,
                                                     "Dit incident hoort niet bij een lopende procesinstantie.")
    if not confirmed:
        return preview_move(ctx, case_id, instance_id, van, naar, actor)
    return move(ctx, case_id, instance_id, van, naar, actor, reason or "")
