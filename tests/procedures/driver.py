"""Drives one case through the service layer the way people and the timer worker would.

Every call is its own transaction, so the engine state makes a database round trip between
steps. Tasks are found by their BPMN id in the inbox, never by reaching into the engine.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from app.engine.clock import TZ
from app.service import Service

# Who works a task of each role in the tests (see conftest.TEST_USERS).
ACTOR_FOR_ROLE = {
    "inbrenger": "anna", "veiligheidsteam": "vera", "netwerkpartner": "nina", "voorzitter": "victor",
    "rvdk": "rik", "gi": "gina", "toegang": "tom", "zorgaanbieder": "zoe",
}


def casus(**overrides) -> dict:
    data = {
        "gemeente": "roosendaal",
        "inbrenger_organisatie": "SPRING Roosendaal",
        "ouders": [{"naam": "Petra de Vries", "contact": "06-12345678", "gezag": True},
                   {"naam": "Mark de Vries", "gezag": True}],
        "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}],
        "cab_datum": "2026-03-02",
        "maatregel": "geen",
    }
    data.update(overrides)
    return data


class CaseDriver:
    def __init__(self, service: Service, case_id: int, clock):
        self.service = service
        self.case_id = case_id
        self.clock = clock

    @classmethod
    def start(cls, service: Service, clock, process_id: str, data: dict, actor: str = "anna") -> "CaseDriver":
        case = service.start_case(process_id, data, actor)
        return cls(service, case.id, clock)

    # --- looking ------------------------------------------------------------------------

    def open_tasks(self):
        return self.service.tasks(case_id=self.case_id)

    def open_ids(self) -> list[str]:
        return sorted(t.bpmn_id for t in self.open_tasks())

    def task(self, bpmn_id: str):
        matches = [t for t in self.open_tasks() if t.bpmn_id == bpmn_id]
        assert len(matches) == 1, f"expected one open task {bpmn_id}, open: {self.open_ids()}"
        return matches[0]

    def case(self):
        return self.service.case(self.case_id)

    def instance(self):
        (instance,) = self.case().instances
        return instance

    def end_state(self) -> str | None:
        return self.instance().eindstatus

    def history_types(self) -> list[str]:
        return [e.type for e in self.service.case_history(self.case_id)]

    def signals(self) -> list[str]:
        """Escalations (soft deadlines) the process raised, from the case history."""
        names = []
        for event in self.service.case_history(self.case_id):
            for item in event.data.get("outgoing", []):
                if item["kind"] == "escalation":
                    names.append(item["code"] or item["name"])
        return names

    def outcomes(self) -> list[str]:
        """End states reached by the procedures of this case (P1-P6 inside P0 included)."""
        return [step["bpmn_id"][len("Eind_"):] for e in self.service.case_history(self.case_id)
                for step in e.data.get("steps", [])
                if step["type"] == "EndEvent" and step["bpmn_id"].startswith("Eind_")]

    def sent_messages(self) -> list[str]:
        return [item["name"] for e in self.service.case_history(self.case_id)
                for item in e.data.get("outgoing", []) if item["kind"] == "message"]

    # --- acting -------------------------------------------------------------------------

    def complete(self, bpmn_id: str, data: dict, actor: str | None = None):
        task = self.task(bpmn_id)
        actor = actor or task.assignee or ACTOR_FOR_ROLE[task.role]
        return self.service.complete_task(task.id, data, actor)

    def message(self, name: str, data: dict, actor: str = "anna"):
        return self.service.deliver_message(self.case_id, name, data, actor)

    def move_clock(self, to: datetime | timedelta):
        moment = self.clock.now() + to if isinstance(to, timedelta) else to
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=TZ)
        self.clock.set(moment)
        return self.service.fire_due_timers(moment)

    def assert_replays(self):
        report = self.service.replay_case(self.case_id)
        assert report.identical, str(report)
        return report
