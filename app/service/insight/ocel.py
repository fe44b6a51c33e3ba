"""An event log as OCEL 2.0 JSON: the events with the objects they touch.

Object types: `case` (one run of the procedure, the trace of the XES log), `task` (a completed
user task) and `Veiligheidskaart` (each version of the case's card: number and status, never its
text). An event relates to its case, to its task, and to the card version it saved. Attribute
values are strings, as the OCEL 2.0 JSON schema has them. Events stream out first; the objects,
the event types (one per activity) and the object types follow, as JSON does not mind the order.
"""
from __future__ import annotations

import json
from typing import Iterable, Iterator

from app.engine.clock import TZ

from .eventlog import Query, Trace

CASE, TASK, CARD = "case", "task", "Veiligheidskaart"
OBJECT_TYPES = {
    CASE: ("procedure", "versie", "gemeente", "maatregel", "status", "eindstatus"),
    TASK: ("naam", "rol"),
    CARD: ("versie", "status"),
}
EVENT_ATTRIBUTES = ("lifecycle", "resource", "rol", "element", "soort")


def _time(moment) -> str:
    return moment.astimezone(TZ).isoformat(timespec="milliseconds")


def _attributes(pairs, moment: str) -> list[dict]:
    return [{"name": k, "value": str(v), "time": moment} for k, v in pairs if v is not None]


def write(query: Query, traces: Iterable[Trace]) -> Iterator[str]:
    dump = json.dumps
    activities: set[str] = set()
    cards: dict[str, dict] = {}
    objects: list[str] = []
    yield '{"events": ['
    first = True
    for trace in traces:
        case_id = f"case:{trace.id}"
        started = _time(trace.started_at)
        objects.append(dump({"id": case_id, "type": CASE, "attributes": _attributes(
            (("procedure", trace.process_id), ("versie", trace.version), ("gemeente", trace.gemeente),
             ("maatregel", trace.maatregel), ("status", "afgerond" if trace.ended else "lopend"),
             ("eindstatus", trace.end_state)), started)}, ensure_ascii=False))
        saved_by = {}
        for versie, status, op, seq in trace.vk_versions:
            card_id = f"vk:{trace.referentie}:{versie}"
            card = cards.get(card_id)
            if card is None:
                previous = f"vk:{trace.referentie}:{versie - 1}" if versie > 1 else None
                card = cards[card_id] = {"id": card_id, "type": CARD, "attributes": _attributes(
                    (("versie", versie), ("status", status)), _time(op)), "relationships":
                    ([{"objectId": previous, "qualifier": "vorige versie"}] if previous else [])}
            card["relationships"].append({"objectId": case_id, "qualifier": "kaart van"})
            if seq is not None:
                saved_by.setdefault(seq, card_id)
        for n, event in enumerate(trace.events, 1):
            activities.add(event.activity)
            moment = _time(event.at)
            relationships = [{"objectId": case_id, "qualifier": "case"}]
            if event.task_id is not None:
                task_id = f"task:{event.task_id}"
                relationships.append({"objectId": task_id, "qualifier": "taak afgerond"})
                objects.append(dump({"id": task_id, "type": TASK, "attributes": _attributes(
                    (("naam", event.activity), ("rol", event.role)), moment),
                    "relationships": [{"objectId": case_id, "qualifier": "hoort bij"}]}, ensure_ascii=False))
            card_id = saved_by.pop(event.seq, None)
            if card_id is not None:
                relationships.append({"objectId": card_id, "qualifier": "kaart opgeslagen"})
            item = {"id": f"{trace.id}#{n}", "type": event.activity, "time": moment,
                    "attributes": [{"name": k, "value": str(v)} for k, v in
                                   zip(EVENT_ATTRIBUTES, (event.lifecycle, event.resource, event.role,
                                                          event.element, event.kind))],
                    "relationships": relationships}
            yield ("" if first else ",\n") + dump(item, ensure_ascii=False)
            first = False
    yield '\n], "objects": [\n'
    yield ",\n".join(objects + [dump(card, ensure_ascii=False) for card in cards.values()])
    yield '\n], "objectTypes": '
    yield dump([{"name": name, "attributes": [{"name": a, "type": "string"} for a in attributes]}
                for name, attributes in OBJECT_TYPES.items()], ensure_ascii=False)
    yield ', "eventTypes": '
    yield dump([{"name": name, "attributes": [{"name": a, "type": "string"} for a in EVENT_ATTRIBUTES]}
                for name in sorted(activities)], ensure_ascii=False)
    yield "}\n"
