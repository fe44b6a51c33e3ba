"""Per procedure instance: does its path follow its version? Computed by the product's own replay
(replay.py re-runs the recorded events on the version's spec: every completion must find its task
ready, every state must come out as recorded), so no process-mining library is needed.

A repair is a deviation, named as such: a move by the beheerder (the case was put at another
step) and a data correction (a value the gateways read was changed afterwards). A migration to
another version is no deviation, but the path then follows the new version, which is said.
Results are kept per history (the hash of its last event), so the case page replays a case once
per change, not once per view.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.clock import TZ
from persistence.models import Event, ProcessInstance, User

from ..context import Context
from ..replay import Diverged, replay_events

REPAIR_EVENTS = {"verplaatst": "verplaatst", "gegevens_gecorrigeerd": "gegevens gecorrigeerd"}
_CACHE: OrderedDict[str, dict] = OrderedDict()
_CACHE_SIZE = 512


@dataclass(frozen=True)
class PathCheck:
    instance_id: int
    version: int
    follows: bool
    text: str  # in Dutch, for the case page


def _moment(at) -> str:
    return at.astimezone(TZ).strftime("%d-%m-%Y %H:%M")


def _repair_step(event: Event) -> str:
    data = event.data or {}
    if event.type == "verplaatst":
        begun = (data.get("beginnen") or [{}])[0]
        return f"naar {begun.get('naam') or data.get('naar')}"
    return f"{data.get('veld')}"


def case_paths(ctx: Context, session: Session, case_id: int, history: list[Event] | None = None) -> dict[int, PathCheck]:
    """{instance id: PathCheck} for every procedure instance of the case."""
    if history is None:
        history = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
    key = history[-1].hash if history else None
    if key and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    instances = {i.id: i for i in session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id))}
    names = dict(session.execute(select(User.username, User.naam)).all())
    deviations: dict[int, list[str]] = {}
    migrated: dict[int, str] = {}
    stopped = None
    try:
        for replayed in replay_events(ctx, session, history, {}):
            event = replayed.event
            if event.type in REPAIR_EVENTS:
                who = names.get(event.actor, event.actor)
                deviations.setdefault(event.instance_id, []).append(
                    f"{REPAIR_EVENTS[event.type]}: {_repair_step(event)} (reparatie door {who} op {_moment(event.at)})")
            elif event.type == "gemigreerd":
                data = event.data or {}
                migrated[event.instance_id] = f" (gemigreerd van versie {data.get('van')} op {_moment(event.at)})"
    except Diverged as exc:
        step = exc.event.task_bpmn_id or exc.event.type
        deviations.setdefault(exc.event.instance_id, []).append(
            f"{step} op {_moment(exc.event.at)}: {exc.reason}")
        stopped = exc.event.seq
    result = {}
    for instance_id, instance in instances.items():
        version = instance.process_version.version
        found = deviations.get(instance_id)
        if found:
            text = f"Pad wijkt af: {'; '.join(found)}"
        elif stopped is not None:
            text = f"Pad niet vastgesteld: het opnieuw uitvoeren stopte bij gebeurtenis {stopped}"
        else:
            text = f"Pad volgt versie {version}{migrated.get(instance_id, '')}"
        result[instance_id] = PathCheck(instance_id, version, not found and stopped is None, text)
    if key:
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
