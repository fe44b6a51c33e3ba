"""The auditor's proof that the history is complete: re-run a case from its events alone.

Each instance is started again on its pinned process version with the recorded start data,
then every recorded completion, message and timer firing is applied at its recorded clock time.
After each event the engine state's fingerprint must equal the one recorded with the event,
and at the end it must equal the stored state. The first event where it does not is reported.
The hash chain of the events is checked on the way, so an altered history is reported too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import clock as clock_mod
from app.engine import correction
from app.engine import move as engine_move
from app.engine.runtime import EngineError, Run, StepLog
from persistence.models import Case, Event, ProcessInstance, ProcessVersion

from .context import Context, get_or_404
from .corrections import EVENT as CORRECTED
from .events import event_hash
from .instances import load_run

# A beheerder's data correction or move changes the engine state too, so it is re-applied like an act.
MOVED = "verplaatst"  # a move within the version (moves.py, app/engine/move.py)
ENGINE_EVENTS = {"instance_started", "task_completed", "timer_fired", "message_delivered", CORRECTED, MOVED}
MIGRATED = "gemigreerd"  # a migration to another version (migration.py); the deploy preview skips it


@dataclass
class ReplayReport:
    case_id: int
    events: int
    identical: bool
    diverged_at: int | None = None  # event seq
    reason: str | None = None
    instances: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"case_id": self.case_id, "events": self.events, "identical": self.identical,
                "diverged_at": self.diverged_at, "reason": self.reason}

    def __str__(self) -> str:
        if self.identical:
            return f"Casus {self.case_id}: {self.events} gebeurtenissen opnieuw uitgevoerd; identiek aan de opgeslagen toestand."
        return f"Casus {self.case_id}: wijkt af bij gebeurtenis {self.diverged_at}: {self.reason}"


def find_ready(run: Run, event: Event):
    """The ready user task a recorded completion completed, or None."""
    process_id = (event.data or {}).get("process_id")
    for info in run.ready_user_tasks():
        if info.bpmn_id == event.task_bpmn_id and (process_id is None or info.process_id == process_id):
            return info
    return None


def apply_event(run: Run, event: Event, info=None) -> StepLog:
    """Apply one recorded completion, message, timer firing or data correction to `run`, at the active clock.

    Shared with the deploy preview (preview.py), so both re-run a history the same way.
    """
    data = event.data or {}
    log = StepLog()
    if event.type == "task_completed":
        info = info or find_ready(run, event)
        if info is None:
            raise EngineError(f"taak '{event.task_bpmn_id}' stond bij het opnieuw uitvoeren niet open")
        log = run.complete(info.spiff_id, data.get("data", {}))
    elif event.type == "message_delivered":
        log = run.deliver(data["message"], data.get("data", {}))
    elif event.type == "timer_fired":
        log = run.advance()
    elif event.type == CORRECTED:
        correction.set_value(run, data["veld"], data["na"])
    elif event.type == MOVED:
        log = engine_move.move(run, data["van"], data["naar"]).log
    run.outgoing()
    return log


def _apply(ctx: Context, session: Session, runs: dict[int, Run], event: Event) -> tuple[Run, StepLog]:
    data = event.data or {}
    if event.type == "instance_started":
        version = session.get(ProcessVersion, data["process_version_id"])
        spec, subs = ctx.specs.get(version)
        run, log = ctx.runtime.start(spec, subs, data["data"])
        runs[event.instance_id] = run
        return run, log
    run = runs.get(event.instance_id)
    if run is None:
        raise EngineError("gebeurtenis voor een procesinstantie die niet gestart is")
    if event.type == MIGRATED:  # the case moved to another version here: move the replay the same way
        from .migration import apply as migrate_to  # migration imports instances, as replay does
        migrate_to(ctx, run, session.get(ProcessVersion, data["naar_version_id"]), data.get("doelen"))
        return run, StepLog()
    return run, apply_event(run, event)


class Diverged(Exception):
    """Replay could not reproduce `event`: the history was altered or the engine went elsewhere."""

    def __init__(self, event: Event, reason: str):
        super().__init__(reason)
        self.event, self.reason = event, reason


@dataclass
class Replayed:
    """One event of the history after it was re-applied; `log` is None for an event the engine does not see."""

    event: Event
    log: StepLog | None


def replay_events(ctx: Context, session: Session, history, runs: dict[int, Run]):
    """Re-apply `history` (a case's events in order) onto `runs` ({instance id: Run}), yielding after
    each event; raises Diverged at the first event whose hash or resulting state is not as recorded.

    The one loop of the auditor's replay (replay_case) and the case page's playback (playback.py).
    """
    prev = ""
    for event in history:
        if event_hash(prev, event) != event.hash:
            raise Diverged(event, "de gebeurtenis is na vastlegging gewijzigd (hashketen klopt niet)")
        prev = event.hash
        if event.type not in ENGINE_EVENTS and event.type != MIGRATED:
            yield Replayed(event, None)
            continue
        try:
            with clock_mod.active(clock_mod.FixedClock(event.at)):
                run, log = _apply(ctx, session, runs, event)
                fingerprint = run.fingerprint()
        except (EngineError, KeyError) as exc:
            raise Diverged(event, f"kon niet opnieuw uitgevoerd worden: {exc}") from exc
        if fingerprint != event.state_fingerprint:
            raise Diverged(event, "de procestoestand na deze gebeurtenis is anders dan vastgelegd")
        yield Replayed(event, log)


def replay_case(ctx: Context, session: Session, case_id: int) -> ReplayReport:
    get_or_404(session, Case, case_id, "Casus")
    history = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
    report = ReplayReport(case_id=case_id, events=len(history), identical=True)
    runs: dict[int, Run] = {}
    try:
        for _ in replay_events(ctx, session, history, runs):
            pass
    except Diverged as exc:
        return _diverged(report, exc.event, exc.reason)
    instances = session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)).all()
    for instance in instances:
        run = runs.get(instance.id)
        stored = load_run(ctx, instance).fingerprint()
        report.instances[instance.id] = stored
        if run is None or run.fingerprint() != stored:
            last = history[-1] if history else None
            report.identical = False
            report.diverged_at = last.seq if last else None
            report.reason = f"de opgeslagen toestand van procesinstantie {instance.id} volgt niet uit de gebeurtenissen"
            return report
    return report


def _diverged(report: ReplayReport, event: Event, reason: str) -> ReplayReport:
    report.identical = False
    report.diverged_at = event.seq
    report.reason = f"{event.type} ({event.task_bpmn_id or '-'}, {event.at.isoformat()}): {reason}"
    return report
