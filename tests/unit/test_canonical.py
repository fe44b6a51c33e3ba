"""Version identity by meaning: what a modeler rewrites on an unchanged save is no change, what a
process owner changes is one (app/engine/canonical.py)."""
import re
from pathlib import Path

import pytest

from app.engine.canonical import canonical_diagram, diagram_identity, json_identity, text_identity

ROOT = Path(__file__).resolve().parents[2]
P3 = (ROOT / "processes" / "p3_interventiegesprek.bpmn").read_text(encoding="utf-8")
DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))


def _swap_attribute_order(xml: str) -> str:
    # Every start tag with at least two attributes gets them reversed (as bpmn-js reorders them).
    def reverse(match):
        tag, attrs = match.group(1), re.findall(r'\s+[\w:]+="[^"]*"', match.group(2))
        return f"<{tag}{''.join(reversed(attrs))}{match.group(3)}>"
    return re.sub(r"<([\w:]+)((?:\s+[\w:]+=\"[^\"]*\"){2,})(\s*/?)>", reverse, xml)


def _rename_prefix(xml: str, old: str, new: str) -> str:
    xml = re.sub(rf"(</?){old}:", rf"\1{new}:", xml)
    xml = xml.replace(f"xmlns:{old}=", f"xmlns:{new}=")
    return xml.replace(f'xsi:type="{old}:', f'xsi:type="{new}:')


# --- what a modeler changes on an unchanged open-and-save: no new identity ------------------------

@pytest.mark.parametrize("rewrite", [
    pytest.param(_swap_attribute_order, id="attribute order"),
    pytest.param(lambda x: x.replace("'", "&#39;"), id="entity escaping of quotes"),
    pytest.param(lambda x: x.replace("\n", "\r\n"), id="CRLF line ends"),
    pytest.param(lambda x: re.sub(r">\s+<", "><", x), id="no indentation"),
    pytest.param(lambda x: re.sub(r"\n(\s*)<", r"\n\1\1<", x), id="other indentation"),
    pytest.param(lambda x: x.replace('exporter="Camunda Modeler" exporterVersion="5.0.0"',
                                     'exporter="bpmn-js (https://demo.bpmn.io)" exporterVersion="18.31.1"'),
                 id="exporter"),
    pytest.param(lambda x: _rename_prefix(x, "bpmn", "bpmn2"), id="another prefix for BPMN"),
    pytest.param(lambda x: x.replace('xmlns:xsi=', 'xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0" xmlns:xsi=', 1),
                 id="an unused namespace declaration"),
    pytest.param(lambda x: re.sub(r'(<dc:Bounds x=")(\d+)', lambda m: m.group(1) + str(int(m.group(2)) + 10), x),
                 id="layout moved"),
    pytest.param(lambda x: x.replace("gesprek_uitkomst == 'opnieuw_plannen'</bpmn:conditionExpression>",
                                     "\n          gesprek_uitkomst == 'opnieuw_plannen'\n        </bpmn:conditionExpression>"),
                 id="whitespace around a condition"),
])
def test_what_a_modeler_rewrites_is_no_change(rewrite):
    changed = rewrite(P3)
    assert changed != P3, "the rewrite must change the bytes, else the test proves nothing"
    assert diagram_identity(changed) == diagram_identity(P3)


def test_bytes_and_text_give_the_same_identity():
    assert diagram_identity(P3) == diagram_identity(P3.encode("utf-8"))


def test_layout_order_is_no_change():
    # bpmn-js writes the shapes in its own order; the layout is not part of the identity at all.
    first = re.search(r"\s*<bpmndi:BPMNShape .*?</bpmndi:BPMNShape>", P3, flags=re.S).group(0)
    moved = P3.replace(first, "", 1).replace("</bpmndi:BPMNPlane>", first + "</bpmndi:BPMNPlane>", 1)
    assert moved != P3
    assert diagram_identity(moved) == diagram_identity(P3)
    without_layout = re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", P3, flags=re.S)
    assert diagram_identity(without_layout) == diagram_identity(P3)
    assert "BPMNShape" not in canonical_diagram(P3)


# --- what a process owner changes: a new identity -----------------------------------------------

@pytest.mark.parametrize("old,new", [
    pytest.param('name="Voorbespreking professionals"', 'name="Voorbespreking met professionals"', id="a label"),
    pytest.param('camunda:dueDate="gesprek_datum"', 'camunda:dueDate="werkdagen_voor(gesprek_datum, 1)"', id="a dueDate"),
    pytest.param("gesprek_uitkomst == 'opnieuw_plannen'", "gesprek_uitkomst != 'opnieuw_plannen'", id="a condition"),
    pytest.param('camunda:candidateGroups="inbrenger" camunda:assignee="inbrenger" camunda:dueDate="gesprek_datum"',
                 'camunda:candidateGroups="veiligheidsteam" camunda:assignee="inbrenger" camunda:dueDate="gesprek_datum"',
                 id="a candidate group"),
    pytest.param("Streven: het gesprek binnen twee weken", "Streven: het gesprek binnen drie weken", id="documentation"),
    pytest.param("Streven: het gesprek binnen twee weken", "Streven: het gesprek  binnen twee weken",
                 id="whitespace inside documentation"),
    pytest.param('camunda:formKey="p3_voorbespreking"', 'camunda:formKey="p3_voorbespreking_nieuw"', id="a formKey"),
    pytest.param('xsi:type="bpmn:tFormalExpression"', 'xsi:type="bpmn:tExpression"', id="an xsi:type"),
])
def test_a_real_change_changes_the_identity(old, new):
    assert old in P3
    assert diagram_identity(P3.replace(old, new, 1)) != diagram_identity(P3)


def test_every_diagram_has_its_own_identity():
    identities = {diagram_identity(path.read_bytes()) for path in DIAGRAMS}
    assert len(identities) == len(DIAGRAMS) >= 12


def test_a_broken_file_is_refused():
    with pytest.raises(Exception):
        diagram_identity("<bpmn:definitions")


# --- forms, parameters, letters ------------------------------------------------------------------

def test_json_identity_ignores_formatting_and_key_order_only():
    a = '{"title": "Titel", "fields": [{"name": "a", "type": "text", "label": "A"}]}'
    b = '{\n  "fields": [ {"label": "A", "type": "text", "name": "a"} ],\n  "title": "Titel"\n}'
    assert json_identity(a) == json_identity(b)
    assert json_identity(a) != json_identity(a.replace('"A"', '"B"'))
    # A list's order is meaning (the order of the fields on the form).
    two = '{"fields": [{"name": "a"}, {"name": "b"}]}'
    assert json_identity(two) != json_identity('{"fields": [{"name": "b"}, {"name": "a"}]}')
    assert json_identity('{"x": 1}') != json_identity('{"x": 1.5}')


def test_text_identity_normalises_newlines_only():
    text = "Beste {{ naam }},\n\nU bent uitgenodigd.\n"
    assert text_identity(text) == text_identity(text.replace("\n", "\r\n")) == text_identity(text.encode())
    assert text_identity(text) == text_identity("\ufeff" + text)
    assert text_identity(text) != text_identity(text.replace("uitgenodigd", "welkom"))
    assert text_identity(text) != text_identity(text + "\n")
