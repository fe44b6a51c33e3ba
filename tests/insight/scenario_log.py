"""Test helper: the scenarios of processes/scenarios walked on the engine (as `vht scenario` does),
recording what the service would record for each act (the completed task, the engine's steps,
the moment), then read into traces by the export's own builder (app/service/insight/eventlog.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from uuid import UUID

from app.engine.runtime import _process_of
from app.service.insight import eventlog
from app.service.scenarios import _Stop, _Walk


@dataclass
class RecordedEvent:
    seq: int
    type: str
    task_bpmn_id: str | None
    at: datetime
    data: dict = field(default_factory=dict)
    human_task_id: int | None = None
    actor: str = "scenario"
    instance_id: int = 1


class RecordingWalk(_Walk):
    def __init__(self, *args):
        super().__init__(*args)
        self.events: list[RecordedEvent] = []
        self._inside = False

    def _add(self, type_: str, task: str | None, data: dict) -> None:
        self.events.append(RecordedEvent(len(self.events) + 1, type_, task, self.clock.now(), data))

    def _record(self, log) -> None:
        super()._record(log)
        if not self.events:  # the start: from here on every act of the run is recorded
            self._add("instance_started", None, {"process_version_id": 1, "steps": log.steps})
            self._wrap(self.run)

    def _wrap(self, run) -> None:
        complete, deliver, advance = run.complete, run.deliver, run.advance

        def recorded(type_, action, task=None, process_id=None):
            self._inside = True
            try:
                log = action()
            finally:
                self._inside = False
            self._add(type_, task, {"process_id": process_id, "steps": log.steps})
            return log

        def on_complete(spiff_id, data):
            task = run.wf.get_task_from_id(UUID(spiff_id))
            return recorded("task_completed", lambda: complete(spiff_id, data), task.task_spec.bpmn_id,
                            _process_of(task))

        def on_advance():
            return advance() if self._inside else recorded("timer_fired", advance)

        run.complete = on_complete
        run.deliver = lambda name, payload: recorded("message_delivered", lambda: deliver(name, payload))
        run.advance = on_advance


class _Maps:
    def __init__(self, spec, subs):
        self.vmap = eventlog.VersionMap(spec, subs)
        self.numbers = {1: 1}

    def get(self, version_id):
        return self.vmap


def scenario_traces(scenario, specs, forms, parameters, number: int) -> list[eventlog.Trace]:
    walk = RecordingWalk(scenario, specs, forms, parameters)
    walk.start()
    for step in scenario.steps:
        walk.step(step)
    spec, subs = specs[scenario.process_id]
    builder = eventlog._Builder(eventlog.Query(scenario.process_id), _Maps(spec, subs), eventlog._Source({}, {}),
                                SimpleNamespace(id=number, referentie=f"SCENARIO-{number}", gemeente=None,
                                                maatregel=None),
                                SimpleNamespace(id=number, process_version_id=1, process_id=scenario.process_id))
    for event in walk.events:
        builder.feed(event)
    state = walk.run.end_state()
    return builder.finish(walk.run.completed, state)


__all__ = ["scenario_traces", "_Stop"]
