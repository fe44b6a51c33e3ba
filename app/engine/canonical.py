"""Version identity by meaning, not by bytes.

An unchanged open-and-save in a modeler (bpmn-js, Camunda Modeler) rewrites a diagram's bytes:
attribute order, entity escaping, indentation, namespace prefixes, the exporter stamp, the order
of the shapes in the layout. None of that means anything to the engine, so none of it may make a
new version. `diagram_identity` hashes the semantic part of the XML (the layout, bpmndi, left out)
in XML C14N 2.0; a change the engine or a person would notice (a label, a dueDate, a condition, a
documentation text) changes the identity.
"""
from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
BPMN_DIAGRAM = f"{{{BPMNDI}}}BPMNDiagram"  # the layout
# Who wrote the file, not what it says (only the definitions carry these).
EXPORTER_ATTRS = ("exporter", "exporterVersion")


def canonical_diagram(xml: bytes | str) -> str:
    """The canonical semantic XML (C14N 2.0) that `diagram_identity` hashes; for a diff when
    two identities differ unexpectedly."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    # Straight from the file's own text: xsi:type values ("bpmn:tFormalExpression") name their
    # prefix, which rewrite_prefixes renames consistently only while it sees the original
    # declarations. strip_text: the whitespace around text (indentation, a newline a modeler or
    # an editor puts around a condition or documentation) carries no meaning; the text does.
    # (ElementTree expands no external entities, so a hostile file cannot read files here.)
    return ET.canonicalize(data, strip_text=True, rewrite_prefixes=True, qname_aware_attrs={XSI_TYPE},
                           exclude_tags={BPMN_DIAGRAM}, exclude_attrs=set(EXPORTER_ATTRS))


def diagram_identity(xml: bytes | str) -> str:
    """sha256 hex of the diagram's canonical semantic content (see the module's doc)."""
    return hashlib.sha256(canonical_diagram(xml).encode("utf-8")).hexdigest()


def json_identity(text: str | bytes) -> str:
    """sha256 hex of a JSON document (a form, the parameters) with sorted keys and no whitespace:
    reformatting or reordering keys is no change; a value is."""
    value = json.loads(text)
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def text_identity(text: str | bytes) -> str:
    """sha256 hex of a text (a letter template) with its newlines normalised (CRLF, CR -> LF),
    so the same template saved on Windows is the same version."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte order mark some Windows editors add
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
