"""What a diagram may not contain, checked before anything of it runs.

A diagram is code that runs on the server, written by whoever can deploy. Only expressions in
our sandbox run; scripts and listeners are refused outright rather than silently ignored, and
every expression is parsed by the sandbox's checker at deploy time, so a bad one is reported
with its element instead of failing in the middle of a case.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .expressions import ExpressieFout, check
from .parser import quote_iso_literal

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
RESERVED_IDS = {"Start", "End"}  # SpiffWorkflow's own task names: such an element empties the process


@dataclass(frozen=True)
class Problem:
    file: str
    element: str | None  # "Task_x 'Naam'": for people reading a list
    message: str
    element_id: str | None = None  # for a marker on that element in the modeler

    def __str__(self) -> str:
        where = f" ({self.element})" if self.element else ""
        return f"{self.file}{where}: {self.message}"


def _element_label(node) -> str:
    name = node.get("name")
    ident = node.get("id") or etree.QName(node).localname
    return f"{ident} '{name}'" if name else ident


def check_diagram(xml: bytes, filename: str) -> list[Problem]:
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [Problem(filename, None, f"geen geldige XML: {exc}")]
    problems: list[Problem] = []

    def add(node, message):
        problems.append(Problem(filename, _element_label(node) if node is not None else None, message,
                                node.get("id") if node is not None else None))

    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.get("id") in RESERVED_IDS and etree.QName(node).namespace == BPMN:
            add(node, f"het id '{node.get('id')}' is gereserveerd door de engine; kies een ander id "
                      f"(bijvoorbeeld '{node.get('id')}Event_1')")
    for node in root.iterfind(".//bpmn:scriptTask", NS):
        add(node, "scripttaken zijn niet toegestaan: alleen expressies (voorwaarden, timers, deadlines) worden uitgevoerd")
    for tag in ("script", "executionListener", "taskListener", "inputOutput"):
        for node in root.iterfind(f".//camunda:{tag}", NS):
            add(node.getparent().getparent() if tag != "script" else node.getparent(),
                f"camunda:{tag} wordt niet ondersteund en zou genegeerd worden; verwijder het")
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in ("class", "expression", "delegateExpression"):
            if node.get(f"{{{CAMUNDA}}}{attribute}") and etree.QName(node).localname != "messageEventDefinition":
                add(node, f"camunda:{attribute} (Java-code) wordt niet ondersteund")

    def check_expression(node, text, what):
        if text is None or not text.strip():
            add(node, f"{what} is leeg")
            return
        try:
            check(text)
        except ExpressieFout as exc:
            add(node, f"{what}: {exc}")

    for node in root.iterfind(".//bpmn:conditionExpression", NS):
        check_expression(node.getparent(), node.text, "voorwaarde")
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for node in root.iterfind(f".//bpmn:{tag}", NS):
            event = node.getparent().getparent()
            check_expression(event, quote_iso_literal(node.text), "timer")
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in ("dueDate", "assignee"):
            value = node.get(f"{{{CAMUNDA}}}{attribute}")
            if value is not None:
                check_expression(node, value, f"camunda:{attribute}")
    return problems
