"""Which case data is there at each element of a bundle of diagrams: a forward data-flow analysis.

A condition, timer, dueDate or assignee that reads a name the case does not hold fails at run
time (`onbekend gegeven 'x'`) and the case is stuck. This module computes, per element, the
names that are *definitely* there (produced on every path that reaches it: intersection at
joins, union after a parallel join, iterated until loops converge) and the names that *may* be
there (produced on some path, or by a field that is optional or under `show_if`).

Producers: the start data (start form + what the product adds at a start), the required,
always-visible fields of each user task's form, the required fields of a message's payload form
after a message catch, and what the product's hooks add to a form's values. A call activity copies
the caller's data into the called process and its data back (SpiffWorkflow without data
inputs/outputs), so a called process is analysed once per distinct caller data; a sub-process is
analysed as a nested scope.

A field that is optional, under `show_if` or behind a regional setting counts as "may": reading
it directly is refused. The sandbox has no way to test presence by name (there is no `in` on the
case data and no `.get`), so the only guard it can express is short-circuit: a name read only in
a later operand of `and`/`or` or in a branch of `x if c else y` needs to be produced on *some*
path, not on every path (`'interventiegesprek' in interventies and gesprek_uitkomst == ...`).
`gekozen('naam')` reads its name safely (missing means nobody chosen), so it needs "may" only.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from lxml import etree

from .expressions import ExpressieFout, _parse

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
}
SCOPES = {"subProcess", "transaction", "adHocSubProcess"}
SAFE_NAME_ARGS = {"gekozen"}  # helpers that read case data by a quoted name and tolerate absence


def local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def q(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def camunda(node, name: str) -> str | None:
    return node.get(f"{{{CAMUNDA}}}{name}")


@dataclass(frozen=True)
class Reads:
    must: frozenset[str]     # read unconditionally: must be produced on every path
    guarded: frozenset[str]  # read only behind a short-circuit: must be produced on some path
    named: frozenset[str]    # quoted names given to gekozen(...): must be produced on some path


def reads_of(text: str | None) -> Reads | None:
    """The case-data names an expression reads, with the sandbox's own parser; None if it does not parse."""
    if text is None or not text.strip():
        return None
    try:
        tree, _called = _parse(text)
    except ExpressieFout:
        return None
    must, guarded, named = set(), set(), set()

    def walk(node, is_guarded):
        if isinstance(node, ast.Name):
            (guarded if is_guarded else must).add(node.id)
            return
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in SAFE_NAME_ARGS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        named.add(arg.value)
            for child in [*node.args, *(k.value for k in node.keywords)]:
                walk(child, is_guarded)
            return
        if isinstance(node, ast.BoolOp):
            walk(node.values[0], is_guarded)
            for operand in node.values[1:]:
                walk(operand, True)
            return
        if isinstance(node, ast.IfExp):
            walk(node.test, is_guarded)
            walk(node.body, True)
            walk(node.orelse, True)
            return
        for child in ast.iter_child_nodes(node):
            walk(child, is_guarded)

    walk(tree.body, False)
    return Reads(frozenset(must), frozenset(guarded - must), frozenset(named))


@dataclass(frozen=True)
class Data:
    must: frozenset[str]
    may: frozenset[str]

    def __or__(self, other: "Data") -> "Data":
        return Data(self.must | other.must, self.may | other.may | other.must)

    def meet(self, other: "Data") -> "Data":
        return Data(self.must & other.must, self.may | other.may | self.must | other.must)

    def union(self, other: "Data") -> "Data":  # after a parallel join every branch ran
        return Data(self.must | other.must, self.may | other.may)


@dataclass
class ReadSite:
    """One expression to check against the data there."""
    file: str
    node: object          # the element named in the message
    what: str             # "voorwaarde", "timer", "camunda:dueDate", "camunda:assignee"
    text: str
    data: Data
    context: str | None   # "aangeroepen vanuit ..." for a called process


@dataclass
class Bundle:
    """The parsed diagrams and what produces data in them."""
    files: dict[str, object]                          # file -> root element
    processes: dict[str, tuple[str, object]]          # process id -> (file, element)
    form_gen: dict[str, Data]                         # form key -> what completing it produces
    message_gen: dict[str, Data]                      # message name -> what its payload produces
    sites: list[ReadSite] = field(default_factory=list)
    gateway_data: dict[tuple[str, str], Data] = field(default_factory=dict)  # (file, gateway id) -> met data
    _memo: dict = field(default_factory=dict)

    def message_names(self, root) -> dict[str, str]:
        return {m.get("id"): m.get("name") for m in root.iter(q("message"))}


def form_data(definition, extra: frozenset[str] = frozenset()) -> Data:
    """Required, always visible fields are definitely produced; all others may be."""
    must, may = set(extra), set()
    for spec in definition.fields:
        optional = (not spec.required or spec.show_if or getattr(spec, "requires_setting", None))
        # A required list or multiple choice is sent ([] is an answer); any other required field is sent.
        (may if optional else must).add(spec.name)
    return Data(frozenset(must), frozenset(may))


def analyse_process(bundle: Bundle, pid: str, start: Data, context: str | None = None,
                    stack: tuple[str, ...] = ()) -> Data:
    """What the process `pid` holds at its end when it starts with `start`; records read sites."""
    key = (pid, start)
    if key in bundle._memo:
        return bundle._memo[key]
    file, element = bundle.processes[pid]
    if pid in stack:  # recursion through call activities: assume it adds nothing
        return start
    bundle._memo[key] = start  # provisional, for a (refused elsewhere) cycle
    result = _analyse_scope(bundle, file, element, start, context, (*stack, pid))
    bundle._memo[key] = result
    return result


def _analyse_scope(bundle: Bundle, file: str, scope, start: Data, context: str | None,
                   stack: tuple[str, ...]) -> Data:
    nodes = {n.get("id"): n for n in scope if local(n) in FLOW_NODES}
    flows = [f for f in scope if local(f) == "sequenceFlow"]
    incoming: dict[str, list] = {i: [] for i in nodes}
    outgoing: dict[str, list] = {i: [] for i in nodes}
    for f in flows:
        if f.get("targetRef") in incoming:
            incoming[f.get("targetRef")].append(f)
        if f.get("sourceRef") in outgoing:
            outgoing[f.get("sourceRef")].append(f)
    boundaries: dict[str, list[str]] = {}
    for i, n in nodes.items():
        if local(n) == "boundaryEvent":
            boundaries.setdefault(n.get("attachedToRef"), []).append(i)
    messages = bundle.message_names(scope.getroottree().getroot())
    entries = {i for i, n in nodes.items()
               if local(n) == "startEvent" and not incoming[i]}

    data_in: dict[str, Data | None] = {i: None for i in nodes}
    data_out: dict[str, Data | None] = {i: None for i in nodes}

    def gen(n, d: Data) -> Data:
        kind = local(n)
        if kind == "userTask":
            key = camunda(n, "formKey")
            return d | bundle.form_gen.get(key, Data(frozenset(), frozenset()))
        if kind in ("callActivity",):
            called = n.get("calledElement")
            if called in bundle.processes:
                label = f"aangeroepen vanuit {n.get('id')} in {file}"
                return d | analyse_process(bundle, called, d, label, stack)
            return d
        if kind in SCOPES:
            return d | _analyse_scope(bundle, file, n, d, context, stack)
        for definition in n.iterchildren(q("messageEventDefinition")):
            if kind in ("intermediateCatchEvent", "boundaryEvent", "receiveTask", "startEvent"):
                name = messages.get(definition.get("messageRef"))
                d = d | bundle.message_gen.get(name, Data(frozenset(), frozenset()))
        return d

    # Iterate to a fixpoint. Values only shrink (must) / grow (may) once set, so this converges.
    for _round in range(len(nodes) + 5):
        changed = False
        for i, n in nodes.items():
            kind = local(n)
            if i in entries:
                new_in = start
            elif kind == "boundaryEvent":
                host = n.get("attachedToRef")
                host_in, host_out = data_in.get(host), data_out.get(host)
                # It fires while the host runs: the host's own output is possible, not certain.
                new_in = None if host_in is None else Data(
                    host_in.must, host_in.may | (host_out.may | host_out.must if host_out else frozenset()))
            else:
                sources = [data_out.get(f.get("sourceRef")) for f in incoming[i]]
                sources = [s for s in sources if s is not None]
                if not sources:
                    new_in = None
                else:
                    new_in = sources[0]
                    parallel_join = kind == "parallelGateway" and len(incoming[i]) > 1
                    for s in sources[1:]:
                        new_in = new_in.union(s) if parallel_join else new_in.meet(s)
                    if parallel_join and len(sources) < len(incoming[i]):
                        new_in = None  # a parallel join waits for all its branches
            if new_in is None or new_in == data_in[i]:
                continue
            data_in[i] = new_in
            data_out[i] = gen(n, new_in)
            changed = True
        if not changed:
            break

    for i, n in nodes.items():
        d_in, d_out = data_in[i], data_out[i]
        if d_in is None:
            continue  # not reachable: nothing to check there
        kind = local(n)
        if kind == "userTask":
            for attr in ("dueDate", "assignee"):
                if camunda(n, attr) is not None:
                    bundle.sites.append(ReadSite(file, n, f"camunda:{attr}", camunda(n, attr), d_in, context))
        for definition in n.iterchildren(q("timerEventDefinition")):
            for tag in ("timeDate", "timeDuration", "timeCycle"):
                for t in definition.iterchildren(q(tag)):
                    bundle.sites.append(ReadSite(file, n, "timer", t.text or "", d_in, context))
        for f in outgoing[i]:
            for cond in f.iterchildren(q("conditionExpression")):
                bundle.sites.append(ReadSite(file, f, "voorwaarde", cond.text or "", d_out, context))
        if kind in ("exclusiveGateway", "inclusiveGateway"):
            key = (file, i)
            old = bundle.gateway_data.get(key)
            bundle.gateway_data[key] = d_out if old is None else old.meet(d_out)

    # The data at the end: the meet over the ends the main path can reach. A path that leaves
    # through a non-interrupting boundary runs beside the main path, so its end adds nothing certain.
    main, todo = set(), list(entries)
    while todo:
        i = todo.pop()
        if i in main or i not in nodes:
            continue
        main.add(i)
        todo.extend(f.get("targetRef") for f in outgoing[i])
        todo.extend(b for b in boundaries.get(i, []) if nodes[b].get("cancelActivity") != "false")
    # SpiffWorkflow merges the data of every end a run reaches. An end in one branch of a
    # parallel split whose other branch always ends in a terminate end is never reached alone,
    # so it is left out of the meet (p3: the pre-meeting's end beside the meeting's terminate end).
    ends = [data_out[i] for i in main if not outgoing[i] and data_out[i] is not None
            and local(nodes[i]) != "boundaryEvent" and not _beside_terminate(i, nodes, incoming, outgoing)]
    if not ends:
        return start
    result = ends[0]
    for d in ends[1:]:
        result = result.meet(d)
    return result


def _is_terminate(node) -> bool:
    return local(node) == "endEvent" and node.find(q("terminateEventDefinition")) is not None


def _ends_from(start: str, nodes, outgoing) -> set[str]:
    seen, todo, ends = set(), [start], set()
    while todo:
        i = todo.pop()
        if i in seen or i not in nodes:
            continue
        seen.add(i)
        if not outgoing[i]:
            ends.add(i)
        todo.extend(f.get("targetRef") for f in outgoing[i])
    return ends


def _beside_terminate(end: str, nodes, incoming, outgoing) -> bool:
    if _is_terminate(nodes[end]):
        return False
    seen, todo = set(), [end]
    while todo:
        i = todo.pop()
        if i in seen or i not in nodes:
            continue
        seen.add(i)
        for f in incoming[i]:
            source = f.get("sourceRef")
            if source in nodes and local(nodes[source]) == "parallelGateway" and len(outgoing[source]) > 1:
                for other in outgoing[source]:
                    if other is f:
                        continue
                    reached = _ends_from(other.get("targetRef"), nodes, outgoing)
                    if reached and all(_is_terminate(nodes[e]) for e in reached):
                        return True
            todo.append(source)
    return False
