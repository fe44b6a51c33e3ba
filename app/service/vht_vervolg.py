"""Back to the VeiligheidsTeam, and when a case is closed.

Every end the procedures call "terug naar het VeiligheidsTeam" is an end event whose id starts
with `Eind_terug_naar_vht` (conversation not held and not planned again, the RvdK does not join
and the inbrenger hands back, a negative RvdK check in P5). Reaching one starts the procedure
`p7_vht_vervolg` for the case: the VeiligheidsTeam gets the task "Vervolg bepalen" (a new
consultatie- en adviesbespreking, which runs P0 again, or closing the case). It is started as an
instance of its own, so it is in the history and replays like any other.

A case is "afgesloten" once all its procedures have ended: with a decision pending the p7
instance still runs, so the case stays open until the VeiligheidsTeam has decided.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from persistence.models import Case, HumanTask, ProcessInstance

from . import events
from .context import Context
from .errors import ProcessFailed
from .instances import AFTER_ACT, version_for_start, write_case

PROCESS_ID = "p7_vht_vervolg"
DECISION_TASK = "Task_VervolgBepalen"
RETURN_PREFIX = "Eind_terug_naar_vht"
OPEN, CLOSED = "open", "afgesloten"


def returned_to_vht(event) -> dict | None:
    """The first step of an act that reached a 'terug naar het VeiligheidsTeam' end, if any."""
    for step in (event.data or {}).get("steps", []):
        if step.get("type") == "EndEvent" and (step.get("bpmn_id") or "").startswith(RETURN_PREFIX):
            return step
    return None


# Built once: constructing a statement costs more than running it, and every act asks.
_DECISION_PENDING = select(HumanTask.id).where(
    HumanTask.case_id == bindparam("case_id"), HumanTask.state == "open", HumanTask.process_id == PROCESS_ID,
    HumanTask.bpmn_id == DECISION_TASK).limit(1)
_STATUSES = select(ProcessInstance.status).where(ProcessInstance.case_id == bindparam("case_id"))


def decision_pending(session: Session, case_id: int) -> bool:
    return session.scalar(_DECISION_PENDING, {"case_id": case_id}) is not None


def _start_decision(ctx: Context, session: Session, case: Case, step: dict) -> None:
    from .cases import start_instance  # cases imports instances, which runs this hook

    version = version_for_start(session, PROCESS_ID)
    if version is None:
        # Refuse the act rather than let the case drop out unseen.
        raise ProcessFailed("De procedure 'Terug naar het VeiligheidsTeam' (p7_vht_vervolg) is niet in gebruik "
                            "genomen (vht deploy); de casus kan daardoor niet terug naar het VeiligheidsTeam.")
    values = {**(case.gegevens or {}),
              "terug_naar_vht_vanuit": {"procedure": step.get("process_id"), "eind": step.get("bpmn_id"),
                                        "omschrijving": step.get("name")}}
    start_instance(ctx, session, case, version, values, events.SYSTEM)


def _case_status(session: Session, case_id: int) -> str:
    statuses = session.scalars(_STATUSES, {"case_id": case_id}).all()
    return CLOSED if statuses and all(s == "completed" for s in statuses) else OPEN


def after_act(ctx: Context, session: Session, instance: ProcessInstance, event, outgoing) -> None:
    case = session.get(Case, instance.case_id)
    step = returned_to_vht(event)
    if step is not None and not decision_pending(session, case.id):
        _start_decision(ctx, session, case, step)  # its own act: this hook runs again for it
    # Only an ending instance can close the case; any other act of a closed case reopens it.
    status = _case_status(session, case.id) if instance.status == "completed" else OPEN
    if status != case.status:
        # The retention term runs from the end of the case (app/service/retention.py).
        write_case(session, case, {"status": status, "afgesloten_op": ctx.now() if status == CLOSED else None})
        events.append(session, case_id=case.id, instance_id=instance.id, actor=events.SYSTEM, at=ctx.now(),
                      type="casus_afgesloten" if status == CLOSED else "casus_heropend", data={"status": status})


AFTER_ACT.append(after_act)
