"""Workflow state <-> JSON, with the spec kept out of every instance.

Stock SpiffWorkflow embeds the full process spec (and every called process's spec) in each
instance's JSON. We store specs once per deployed version, so the instance JSON holds only the
task tree: about half the size and twice as fast to load. The parser and serializer configs
must match (Camunda on both sides).

Both carry their format (ours and SpiffWorkflow's serializer version); an older stored one is
brought up to date on load by state_format.py.
"""
from __future__ import annotations

import json
import threading
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.serializer.default.task_spec import ParallelGatewayConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from . import state_format
from .join import VhtParallelGateway

_specs = threading.local()


class _SpecRefWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        # As the stock converter, with names where it would convert the whole spec every time.
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocess_specs"] = sorted(workflow.subprocess_specs)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct[state_format.FORMAT_KEY] = state_format.OUR_FORMAT
        return dct

    def from_dict(self, dct):
        # As the stock converter, but with the already-parsed specs of the pinned version
        # (specs are read-only at run time, so instances share them).
        spec, subprocess_specs = _specs.bundle
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct.pop(state_format.FORMAT_KEY, None)
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
    # Our parallel join (join.py): stored as 'VhtParallelGateway'; specs stored before it keep the stock one.
    config[VhtParallelGateway] = ParallelGatewayConverter
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
        dct = json.loads(state)
        # An older state is migrated against the spec as this engine reads it (a fresh dict each
        # time: SpiffWorkflow's steps may change it).
        state_format.upgrade_state(dct, lambda: self._spec_dicts(spec, subprocess_specs))
        dct.pop(state_format.SPIFF_KEY, None)  # what SpiffWorkflow's deserialize_json would pop
        _specs.bundle = (spec, subprocess_specs)
        try:
            return self._ser.from_dict(dct)
        finally:
            _specs.bundle = None

    def _spec_dicts(self, spec, subprocess_specs) -> state_format.SpecDicts:
        return self._spec_ser.to_dict(spec), {k: self._spec_ser.to_dict(v) for k, v in subprocess_specs.items()}

    def dump_specs(self, spec, subprocess_specs) -> str:
        return json.dumps(state_format.spec_document(*self._spec_dicts(spec, subprocess_specs)))

    def load_specs(self, text: str):
        data = json.loads(text)
        state_format.upgrade_spec_doc(data)
        spec = self._spec_ser.from_dict(data["spec"])
        subs = {k: self._spec_ser.from_dict(v) for k, v in data["subprocess_specs"].items()}
        return spec, subs


_local = threading.local()


def serializer() -> StateSerializer:
    ser = getattr(_local, "ser", None)
    if ser is None:
        ser = _local.ser = StateSerializer()
    return ser
