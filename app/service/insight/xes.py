"""An event log as IEEE 1849 XES (XML), written trace by trace.

Declares the standard extensions it uses (concept, lifecycle, time, org), the global attributes
every trace and event has, and a classifier on the activity. No namespace: the IEEE schema has
none, and ProM, Disco and pm4py read it so.
"""
from __future__ import annotations

from typing import Iterable, Iterator
from xml.sax.saxutils import quoteattr

from app.engine.clock import TZ

from .eventlog import Query, Trace

EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)


def _attr(kind: str, key: str, value) -> str:
    return f"<{kind} key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _time(moment) -> str:
    return moment.astimezone(TZ).isoformat(timespec="milliseconds")


def _trace(trace: Trace) -> str:
    parts = ["<trace>", _attr("string", "concept:name", trace.id), _attr("string", "procedure", trace.process_id),
             _attr("int", "versie", trace.version), _attr("string", "status", "afgerond" if trace.ended else "lopend")]
    if trace.gemeente:
        parts.append(_attr("string", "gemeente", trace.gemeente))
    if trace.maatregel:
        parts.append(_attr("string", "maatregel", trace.maatregel))
    if trace.end_state:
        parts.append(_attr("string", "eindstatus", trace.end_state))
    if trace.repairs:
        parts.append(_attr("string", "reparaties", ", ".join(trace.repairs)))
    for event in trace.events:
        parts.append("<event>" + _attr("string", "concept:name", event.activity)
                     + _attr("string", "lifecycle:transition", event.lifecycle)
                     + _attr("date", "time:timestamp", _time(event.at))
                     + _attr("string", "org:resource", event.resource)
                     + _attr("string", "org:role", event.role)
                     + _attr("string", "element", event.element)
                     + _attr("string", "soort", event.kind) + "</event>")
    parts.append("</trace>\n")
    return "".join(parts)


def write(query: Query, traces: Iterable[Trace]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="2.0">\n'
    for name, prefix, uri in EXTENSIONS:
        yield f"<extension name={quoteattr(name)} prefix={quoteattr(prefix)} uri={quoteattr(uri)}/>\n"
    yield ('<global scope="trace">' + _attr("string", "concept:name", "onbekend") + "</global>\n"
           '<global scope="event">' + _attr("string", "concept:name", "onbekend")
           + _attr("string", "lifecycle:transition", "complete")
           + _attr("date", "time:timestamp", "1970-01-01T00:00:00.000+00:00")
           + _attr("string", "org:resource", "onbekend") + "</global>\n")
    yield '<classifier name="Activiteit" keys="concept:name"/>\n'
    yield '<classifier name="Activiteit_en_levenscyclus" keys="concept:name lifecycle:transition"/>\n'
    yield _attr("string", "concept:name", f"VeiligheidsTeam werkwijze: {query.procedure}") + "\n"
    for trace in traces:
        yield _trace(trace)
    yield "</log>\n"
