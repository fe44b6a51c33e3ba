"""The one clock of the product.

Everything that needs "now" asks a Clock; tests and the auditor's replay move it. SpiffWorkflow
reads `datetime.now()` itself when it evaluates timers, so `active()` also points the engine's
timer module at the clock that is in use (the library has no hook of its own).
"""
from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer

TZ = ZoneInfo("Europe/Amsterdam")


class Clock:
    def now(self) -> datetime:
        """An aware datetime (UTC)."""
        return datetime.now(timezone.utc)


class SystemClock(Clock):
    pass


class FixedClock(Clock):
    """A clock that stands still until it is moved: for tests, replay and `--now`."""

    def __init__(self, at: datetime):
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=TZ)
        self._at = at.astimezone(timezone.utc)

    def advance(self, delta) -> None:
        self._at = self._at + delta

    def now(self) -> datetime:
        return self._at


_local = threading.local()
_system = SystemClock()


def current() -> Clock:
    return getattr(_local, "clock", None) or _system


def active_clock() -> Clock | None:
    return getattr(_local, "clock", None)


@contextlib.contextmanager
def active(clock: Clock):
    """Make `clock` the clock of this thread (and of the engine's timers) for the block."""
    previous = getattr(_local, "clock", None)
    _local.clock = clock
    try:
        yield clock
    finally:
        _local.clock = previous


class _EngineDatetime(datetime):
    """Stands in for `datetime` inside SpiffWorkflow's timer module."""

    @classmethod
    def now(cls, tz=None):
        moment = current().now()
        return moment.astimezone(tz) if tz else moment.astimezone(TZ).replace(tzinfo=None)


_spiff_timer.datetime = _EngineDatetime
