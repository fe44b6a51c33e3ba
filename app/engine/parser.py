"""Reading diagrams: SpiffWorkflow's Camunda parser, plus what the product needs from them.

The stock Camunda parser drops `candidateGroups`, `assignee` and `dueDate`, keeps `formKey` only
for user tasks, and reads timer values as Python (so the `P2W` a modeler writes fails). The
subclasses here keep those attributes in `task_spec.extensions` (serialized with the spec, no
converter needed) and quote bare ISO 8601 timer literals. A parallel gateway becomes our join
that keeps what a single branch changed (join.py; serializer.py registers it).
"""
from __future__ import annotations

import re

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    CallActivity,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ManualTask,
    NoneTask,
    StartEvent,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser, ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask, SendTask
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import (
    CAMUNDA_MODEL_NS,
    CallActivityParser,
    CamundaTaskParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.specs.user_task import UserTask

from .join import VhtParallelGateway

CAMUNDA_ATTRIBUTES = ("formKey", "candidateGroups", "candidateUsers", "assignee", "dueDate")
ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)$"
)


def quote_iso_literal(text: str | None) -> str | None:
    """`P2W` as a modeler writes it becomes the expression `'P2W'`; expressions stay as they are."""
    if text is None:
        return None
    stripped = text.strip()
    return repr(stripped) if ISO_LITERAL.match(stripped) else stripped


class _CamundaAttributes:
    """Keeps the Camunda 7 attributes the inbox and deadlines need, on any flow node."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        element = node if node is not None else self.node
        for name in CAMUNDA_ATTRIBUTES:
            value = element.get(f"{{{CAMUNDA_MODEL_NS}}}{name}")
            if value is None:
                continue
            if name.startswith("candidate"):
                extensions[name] = [part.strip() for part in value.split(",") if part.strip()]
            else:
                extensions[name] = value.strip()
        return extensions


class _PlainMessages:
    """Messages as plain BPMN: the payload's fields land in the case data as they are.

    (Camunda's variant wraps them in `<task>_Response` and evaluates a payload expression on
    every send task, which our diagrams do not have.)
    """

    def parse_message_event(self, message_event):
        return EventDefinitionParser.parse_message_event(self, message_event)


class _IsoTimers:
    def parse_timer_event(self, event):
        for tag in ("timeDate", "timeDuration", "timeCycle"):
            for node in event.findall(full_tag(tag)):
                node.text = quote_iso_literal(node.text)
        return super().parse_timer_event(event)


class VhtTaskParser(_CamundaAttributes, CamundaTaskParser):
    pass


class VhtUserTaskParser(_CamundaAttributes, UserTaskParser):
    pass


class VhtCallActivityParser(_CamundaAttributes, CallActivityParser):
    pass


class VhtStartEventParser(_CamundaAttributes, _PlainMessages, _IsoTimers, CamundaStartEventParser):
    pass


class VhtEndEventParser(_CamundaAttributes, _PlainMessages, CamundaEndEventParser):
    pass


class VhtCatchEventParser(_CamundaAttributes, _PlainMessages, _IsoTimers, CamundaIntermediateCatchEventParser):
    pass


class VhtThrowEventParser(_CamundaAttributes, _PlainMessages, CamundaIntermediateThrowEventParser):
    pass


class VhtBoundaryEventParser(_CamundaAttributes, _PlainMessages, _IsoTimers, CamundaBoundaryEventParser):
    pass


class VhtSendTaskParser(_CamundaAttributes, _PlainMessages, SendTaskParser):
    pass


class VhtReceiveTaskParser(_CamundaAttributes, _PlainMessages, ReceiveTaskParser):
    pass


class VhtParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (VhtUserTaskParser, UserTask),
        full_tag("startEvent"): (VhtStartEventParser, StartEvent),
        full_tag("endEvent"): (VhtEndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (VhtCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (VhtThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (VhtBoundaryEventParser, BoundaryEvent),
        full_tag("task"): (VhtTaskParser, NoneTask),
        full_tag("manualTask"): (VhtTaskParser, ManualTask),
        full_tag("callActivity"): (VhtCallActivityParser, CallActivity),
        full_tag("sendTask"): (VhtSendTaskParser, SendTask),
        full_tag("receiveTask"): (VhtReceiveTaskParser, ReceiveTask),
        full_tag("parallelGateway"): (GatewayParser, VhtParallelGateway),
    }


__all__ = ["VhtParser", "ValidationException", "quote_iso_literal"]
