"""Test helper: a procedure's BPMN, flattened, as a Petri net for pm4py's token-based replay.

pm4py's BPMN reader cannot read call activities (and not boundary events on sub-processes), so
the net is built here from the diagrams on disk: a sequence flow is a place; an exclusive or
event-based gateway is one place for all its flows (the choice is the place's); a parallel
gateway, a sub-process's entry and exit, and plain start events are silent transitions; a user
task, send task, message or timer event and an end event are transitions labelled as the export
labels them (a called process's elements prefixed with the call activity's name, as
app/service/insight/eventlog.py does). A call activity is inlined like an embedded sub-process.
Boundary events: an interrupting one takes the token of the task (or the sub-process's 'active'
token) instead of it; a non-interrupting one takes and gives it back. Ends: in a scope with a
terminate end only that one completes the scope, after a token from each other plain end of the
scope, which that end gives or, when the terminate cut its branch off, a silent 'cut' of the
branch's open task gives; else the plain ends complete the scope; escalation ends (signals of
soft deadlines) end only their branch.

Not modelled: an interrupting boundary event on a sub-process leaves the sub-process's inner
tokens behind (a Petri net has no cancellation); none of the scenarios or demo cases takes one.
AGPL: pm4py is imported by the tests only, never by the product.
"""
from __future__ import annotations

import itertools
from pathlib import Path

from lxml import etree
from pm4py.objects.petri_net.obj import Marking, PetriNet
from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

from app.service.insight.eventlog import PREFIX_SEPARATOR

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
TASKS = {"userTask", "manualTask", "sendTask", "receiveTask", "task", "scriptTask", "serviceTask", "businessRuleTask"}
VISIBLE_TASKS = {"userTask", "manualTask", "sendTask", "receiveTask"}
CHOICES = {"exclusiveGateway", "eventBasedGateway"}


def _local(el) -> str:
    return etree.QName(el).localname


def _definitions(el) -> set[str]:
    return {_local(c).replace("EventDefinition", "") for c in el if isinstance(c.tag, str)
            and _local(c).endswith("EventDefinition")}


class _Builder:
    def __init__(self, processes_dir: Path):
        self.dir = Path(processes_dir)
        self.net = PetriNet("flattened")
        self.counter = itertools.count()

    def place(self, hint: str) -> PetriNet.Place:
        place = PetriNet.Place(f"p{next(self.counter)}_{hint}")
        self.net.places.add(place)
        return place

    def transition(self, hint: str, label: str | None, inputs, outputs) -> PetriNet.Transition:
        transition = PetriNet.Transition(f"t{next(self.counter)}_{hint}", label)
        self.net.transitions.add(transition)
        for place in inputs:
            add_arc_from_to(place, transition, self.net)
        for place in outputs:
            add_arc_from_to(transition, place, self.net)
        return transition

    def process(self, process_id: str):
        tree = etree.parse(str(self.dir / f"{process_id}.bpmn"))
        return next(p for p in tree.iter(f"{BPMN}process") if p.get("id") == process_id)

    def scope(self, container, prefix: str, entry: PetriNet.Place, done: PetriNet.Place) -> None:
        """The elements directly in `container` (a process or sub-process), started by a token in
        `entry`, putting one token in `done` when the scope completes."""
        nodes = {c.get("id"): c for c in container if isinstance(c.tag, str) and c.get("id")
                 and _local(c) not in ("sequenceFlow", "laneSet", "textAnnotation", "association")}
        flows = [c for c in container if isinstance(c.tag, str) and _local(c) == "sequenceFlow"]
        # Union-find over flows: the flows into a node with several inputs, and all flows of a choice, share a place.
        parent = {f.get("id"): f.get("id") for f in flows}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a, b):
            parent[find(a)] = find(b)

        incoming = {n: [f.get("id") for f in flows if f.get("targetRef") == n] for n in nodes}
        outgoing = {n: [f.get("id") for f in flows if f.get("sourceRef") == n] for n in nodes}
        for node_id, node in nodes.items():
            group = incoming[node_id] + (outgoing[node_id] if _local(node) in CHOICES else [])
            if _local(node) != "parallelGateway":
                for a, b in zip(group, group[1:]):
                    union(a, b)
        places = {}

        def flow_place(flow_id):
            root = find(flow_id)
            if root not in places:
                places[root] = self.place(root)
            return places[root]

        def ins(node_id):
            return [flow_place(f) for f in incoming[node_id][:1]] if _local(nodes[node_id]) != "parallelGateway" \
                else [flow_place(f) for f in incoming[node_id]]

        def outs(node_id):
            return [flow_place(f) for f in outgoing[node_id]]

        terminate = any(_local(n) == "endEvent" and "terminate" in _definitions(n) for n in nodes.values())
        # With a terminate end, the other branches' plain ends (or their abandonment: the terminate
        # cuts them off) each give a token that the terminate end takes.
        others = [n for n in nodes.values() if _local(n) == "endEvent" and not _definitions(n)] if terminate else []
        cut = self.place("cut") if others else None
        active: dict[str, PetriNet.Place] = {}  # sub-process or call activity -> its 'active' place
        task_input: dict[str, PetriNet.Place] = {}
        for node_id, node in nodes.items():
            kind, label = _local(node), prefix + (node.get("name") or node_id)
            definitions = _definitions(node)
            if kind == "startEvent":
                self.transition(node_id, None, [entry], outs(node_id))
            elif kind in TASKS:
                task_input[node_id] = ins(node_id)[0]
                self.transition(node_id, label if kind in VISIBLE_TASKS else None, ins(node_id), outs(node_id))
                if cut is not None:
                    self.transition(node_id + "_cut", None, ins(node_id), [cut])
            elif kind == "parallelGateway":
                self.transition(node_id, None, ins(node_id), outs(node_id))
            elif kind in CHOICES:
                continue  # its flows are one place
            elif kind in ("intermediateCatchEvent", "intermediateThrowEvent"):
                visible = {"timer", "message"} & definitions if kind == "intermediateCatchEvent" else {"message"} & definitions
                self.transition(node_id, label if visible else None, ins(node_id), outs(node_id))
            elif kind == "endEvent":
                completes = ("terminate" in definitions) if terminate else not ({"escalation"} & definitions)
                branch_end = cut is not None and not definitions
                end = self.transition(node_id, label, ins(node_id), [done] if completes else [cut] if branch_end else [])
                if cut is not None and "terminate" in definitions:
                    add_arc_from_to(cut, end, self.net, weight=len(others))
            elif kind in ("subProcess", "callActivity"):
                inner_entry, inner_done = self.place(node_id + "_in"), self.place(node_id + "_done")
                active[node_id] = self.place(node_id + "_active")
                self.transition(node_id + "_enter", None, ins(node_id), [inner_entry, active[node_id]])
                self.transition(node_id + "_exit", None, [inner_done, active[node_id]], outs(node_id))
                if kind == "subProcess":
                    self.scope(node, prefix, inner_entry, inner_done)
                else:
                    called = node.get("calledElement")
                    self.scope(self.process(called), prefix + (node.get("name") or node_id) + PREFIX_SEPARATOR,
                               inner_entry, inner_done)
        for node_id, node in nodes.items():
            if _local(node) != "boundaryEvent":
                continue
            host = node.get("attachedToRef")
            held = active.get(host) or task_input[host]
            keeps = node.get("cancelActivity") == "false"
            visible = {"timer", "message"} & _definitions(node)
            label = prefix + (node.get("name") or node.get("id"))
            self.transition(node.get("id"), label if visible else None, [held], ([held] if keeps else []) + outs(node.get("id")))


def flattened_net(processes_dir: Path, process_id: str) -> tuple[PetriNet, Marking, Marking]:
    builder = _Builder(processes_dir)
    source, sink = builder.place("source"), builder.place("sink")
    builder.scope(builder.process(process_id), "", source, sink)
    return builder.net, Marking({source: 1}), Marking({sink: 1})
