"""An event log as CSV: one row per event (case id, activity, timestamp, lifecycle, resource),
the columns every process-mining tool maps on import."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from app.engine.clock import TZ

from .eventlog import Trace

HEADER = ("case_id", "activity", "timestamp", "lifecycle", "resource")


def write(traces: Iterable[Trace]) -> Iterator[str]:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(HEADER)
    for trace in traces:
        for event in trace.events:
            out.writerow((trace.id, event.activity, event.at.astimezone(TZ).isoformat(timespec="milliseconds"),
                          event.lifecycle, event.resource))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
