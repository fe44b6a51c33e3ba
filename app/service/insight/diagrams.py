"""What the overview reads from the deployed diagrams: element names and kinds, and which version
of a (called) diagram the instances of a version ran."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from persistence.models import ProcessVersion

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


@dataclass(frozen=True)
class Element:
    bpmn_id: str
    name: str
    kind: str  # the BPMN tag: userTask, endEvent, exclusiveGateway, ...
    escalation: bool = False  # an end event that raises a signal (a deadline passed)
    called: str | None = None  # a call activity's procedure


@lru_cache(maxsize=64)
def elements(xml: str) -> dict[str, Element]:
    """Every flow element of the diagram by id (sequence flows left out)."""
    root = ElementTree.fromstring(xml.encode("utf-8"))
    found = {}
    for process in root.iter(f"{BPMN}process"):
        for node in process.iter():
            tag = node.tag.replace(BPMN, "") if isinstance(node.tag, str) else ""
            if not node.get("id") or tag in ("process", "sequenceFlow", "laneSet", "lane", "documentation") \
                    or tag.endswith("EventDefinition") or tag in ("incoming", "outgoing", "extensionElements"):
                continue
            escalation = tag == "endEvent" and node.find(f"{BPMN}escalationEventDefinition") is not None
            found[node.get("id")] = Element(node.get("id"), (node.get("name") or "").strip(), tag, escalation,
                                            node.get("calledElement"))
    return found


def latest_versions(session: Session) -> dict[str, ProcessVersion]:
    """The newest deployed version of every procedure, by process id."""
    latest: dict[str, ProcessVersion] = {}
    for version in session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version)):
        latest[version.process_id] = version
    return latest


def latest_xml(session: Session) -> dict[str, str]:
    return {pid: v.xml for pid, v in latest_versions(session).items()}


def running_versions(session: Session, version: ProcessVersion) -> list[int]:
    """The ids of the versions whose instances ran `version`'s diagram: itself (a procedure people
    start) and the callers' versions deployed with this content (a called diagram)."""
    ids = [version.id]
    for caller in session.scalars(select(ProcessVersion).where(ProcessVersion.process_id != version.process_id)):
        if version.process_id in (caller.called_processes or []) and \
                (caller.called_sha256 or {}).get(version.process_id) == version.sha256:
            ids.append(caller.id)
    return ids


def all_versions_running(session: Session, process_id: str) -> list[int]:
    """The ids of every version whose instances may run this diagram (any content)."""
    ids = []
    for version in session.scalars(select(ProcessVersion)):
        if version.process_id == process_id or process_id in (version.called_processes or []):
            ids.append(version.id)
    return ids


@lru_cache(maxsize=64)
def process_start_events(xml: str) -> frozenset[str]:
    """The start events of the process itself (not those of its embedded sub-processes): one
    passage of these is one run of the procedure."""
    root = ElementTree.fromstring(xml.encode("utf-8"))
    return frozenset(node.get("id") for process in root.iter(f"{BPMN}process")
                     for node in process.findall(f"{BPMN}startEvent"))


@lru_cache(maxsize=64)
def process_end_events(xml: str) -> frozenset[str]:
    """The end events that end the process itself: not those of an embedded sub-process, nor one
    that only raises a signal (a deadline passed) while the work goes on."""
    root = ElementTree.fromstring(xml.encode("utf-8"))
    return frozenset(node.get("id") for process in root.iter(f"{BPMN}process")
                     for node in process.findall(f"{BPMN}endEvent")
                     if node.find(f"{BPMN}escalationEventDefinition") is None)


@lru_cache(maxsize=64)
def outcome_elements(xml: str) -> frozenset[str]:
    """What the end-state counts show of a diagram: the process's own end events (also those that
    signal a passed deadline) and every send task (a message that went out, e.g. 'reactie ouders
    niet ontvangen'); not the ends of embedded sub-processes."""
    root = ElementTree.fromstring(xml.encode("utf-8"))
    own = {node.get("id") for process in root.iter(f"{BPMN}process") for node in process.findall(f"{BPMN}endEvent")}
    sends = {node.get("id") for node in root.iter(f"{BPMN}sendTask")}
    return frozenset(own | sends)
