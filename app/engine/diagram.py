"""Facts about a diagram that the engine does not keep but the product needs."""
from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def starter_roles(xml: bytes | str, process_id: str) -> list[str]:
    """Who may start the process: Camunda's `candidateStarterGroups` on the process element."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    for process in root.iter(f"{{{BPMN}}}process"):
        if process.get("id") == process_id:
            value = process.get(f"{{{CAMUNDA}}}candidateStarterGroups") or ""
            return [part.strip() for part in value.split(",") if part.strip()]
    return []
