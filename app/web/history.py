"""A case's event log as lines a person reads: who, what, when, in Dutch words."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from .common import persoon, procedure_naam
from .labels import EVENTS, words


@dataclass
class HistoryLine:
    at: datetime
    who: str
    what: str
    type: str
    details: list[str] = field(default_factory=list)


def _what(event, task_names: dict[int, str]) -> str:
    data = event.data or {}
    label = EVENTS.get(event.type, words(event.type))
    task = data.get("task") or task_names.get(event.human_task_id) or words(event.task_bpmn_id)
    if event.type == "instance_started":
        return f"{label}: {procedure_naam(data.get('process_id'))}"
    if event.type in ("task_completed", "task_claimed", "task_unclaimed"):
        return f"{label}: {task}"
    if event.type == "task_reassigned":
        return f"{label}: {task}, van {persoon(data.get('van')) or 'niemand'} aan {persoon(data.get('naar'))}"
    if event.type == "message_delivered":
        return f"{label}: {words(data.get('message'))}"
    if event.type == "gegevens_gecorrigeerd":  # a beheerder's repair (app/service/corrections.py)
        return f"Gegevens gecorrigeerd door de beheerder: {data.get('veld')}"
    if event.type == "verplaatst":  # a beheerder's repair (app/service/moves.py)
        ended, begun = data.get("eindigen") or [{}], data.get("beginnen") or [{}]
        return (f"Casus verplaatst door de beheerder: van {ended[0].get('naam') or words(data.get('van'))} "
                f"naar {begun[0].get('naam') or words(data.get('naar'))}")
    if event.type == "gemigreerd":  # a process owner's repair (app/service/migration.py)
        return (f"Gemigreerd door de procesbeheerder: {procedure_naam(data.get('process_id'))} van versie "
                f"{data.get('van')} naar versie {data.get('naar')}")
    return label


def _details(event) -> list[str]:
    data = event.data or {}
    lines = []
    if event.type == "task_reassigned" and data.get("reden"):
        lines.append(f"Reden: {data['reden']}")
    if event.type == "gegevens_gecorrigeerd":
        before = sorted({json.dumps(v, ensure_ascii=False) for v in (data.get("voor") or {}).values()})
        lines.append(f"Was: {', '.join(before) or '(leeg)'}; nu: {json.dumps(data.get('na'), ensure_ascii=False)}")
        lines.append(f"Reden: {data.get('reden')}")
    if event.type == "verplaatst":
        for key, word in (("eindigen", "Beëindigd"), ("beginnen", "Begonnen")):
            if data.get(key):
                lines.append(f"{word}: {', '.join(t.get('naam') or t.get('bpmn_id') for t in data[key])}")
        lines.append(f"Reden: {data.get('reden')}")
    if event.type == "gemigreerd":
        for key, word in (("vervallen", "Vervallen"), ("nieuw", "Nieuw")):
            if data.get(key):
                lines.append(f"{word}: {', '.join(t.get('naam') or t.get('bpmn_id') for t in data[key])}")
        lines.append(f"Reden: {data.get('reden')}")
    for step in data.get("steps", []):
        if step.get("type") == "EndEvent" and str(step.get("bpmn_id", "")).startswith("Eind_"):
            lines.append(f"Einde bereikt in {procedure_naam(step.get('process_id'))}: "
                         f"{step.get('name') or words(step['bpmn_id'][len('Eind_'):])}")
        elif "Timer" in str(step.get("type", "")) or str(step.get("bpmn_id", "")).startswith("Timer_"):
            lines.append(f"Termijn: {step.get('name') or words(step.get('bpmn_id'))}")
    for item in data.get("outgoing", []):
        if item.get("kind") == "escalation":
            lines.append(f"Signalering: {words(item.get('code') or item.get('name'))}")
        elif item.get("kind") == "message":
            lines.append(f"Bericht verstuurd: {words(item.get('name'))}")
    return lines


def history_lines(events, task_names: dict[int, str]) -> list[HistoryLine]:
    return [HistoryLine(at=e.at, who=persoon(e.actor), what=_what(e, task_names), type=e.type, details=_details(e))
            for e in events]
