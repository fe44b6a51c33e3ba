"""Workflow state <-> JSON, with the spec kept out of every instance.

Stock SpiffWorkflow embeds the full process spec (and every called process's spec) in each
instance's JSON. We store specs once per deployed version, so the instance JSON holds only the
task tree: about half the size and twice as fast to load. The parser and serializer configs
must match (Camunda on both sides).
"""
from __future__ import annotations

import json
import threading
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

_specs = threading.local()


class _SpecRefWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        # As the stock converter, with names where it would convert the whole spec every time.
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocess_specs"] = sorted(workflow.subprocess_specs)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        # As the stock converter, but with the already-parsed specs of the pinned version
        # (specs are read-only at run time, so instances share them).
        spec, subprocess_specs = _specs.bundle
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _config() -> dict:
    config = dict(CAMUNDA_CONFIG)
    # Our parser makes plain BPMN message definitions (see parser._PlainMessages).
    config[MessageEventDefinition] = DEFAULT_CONFIG[MessageEventDefinition]
    return config


def _make_serializer() -> BpmnWorkflowSerializer:
    config = _config()
    config[BpmnWorkflow] = _SpecRefWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


class StateSerializer:
    """One per thread: SpiffWorkflow's registry keeps a mode flag while encoding."""

    def __init__(self):
        self._ser = _make_serializer()
        # Plain serializer for specs (they are not instances: no ref needed).
        self._spec_ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))

    @property
    def version(self) -> str:
        return self._ser.VERSION

    def dump(self, workflow: BpmnWorkflow) -> str:
        return self._ser.serialize_json(workflow)

    def load(self, state: str, spec, subprocess_specs) -> BpmnWorkflow:
        _specs.bundle = (spec, subprocess_specs)
        try:
            return self._ser.deserialize_json(state)
        finally:
            _specs.bundle = None

    def dump_specs(self, spec, subprocess_specs) -> str:
        return json.dumps(
            {
                "spec": self._spec_ser.to_dict(spec),
                "subprocess_specs": {k: self._spec_ser.to_dict(v) for k, v in subprocess_specs.items()},
            }
        )

    def load_specs(self, text: str):
        data = json.loads(text)
        spec = self._spec_ser.from_dict(data["spec"])
        subs = {k: self._spec_ser.from_dict(v) for k, v in data["subprocess_specs"].items()}
        return spec, subs


_local = threading.local()


def serializer() -> StateSerializer:
    ser = getattr(_local, "ser", None)
    if ser is None:
        ser = _local.ser = StateSerializer()
    return ser
