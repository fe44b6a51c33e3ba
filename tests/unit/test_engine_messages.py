"""The engine's and the schema validator's deploy-time messages reach the process owner in Dutch."""
import re
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from app.engine.engine_messages import dutch
from app.engine.expressions import ExpressieFout
from app.engine.parser import ValidationException, VhtParser

SOURCE = (Path(__file__).resolve().parents[2] / "processes" / "p1_zorg.bpmn").read_text(encoding="utf-8")
ENGLISH = re.compile(r"\b(the|found|expected|missing|allowed|valid|value|perhaps|when|looking|was|required|attribute|atomic|type)\b", re.I)


def parse_error(xml: str, process_id: str = "p1_zorg") -> Exception:
    parser = VhtParser(validator=BpmnValidator())
    try:
        parser.add_bpmn_str(xml.encode(), filename="p1_zorg.bpmn")
        parser.get_spec(process_id)
        parser.get_subprocess_specs(process_id)
    except (ValidationException, etree.XMLSyntaxError) as exc:
        return exc
    pytest.fail("the broken diagram was accepted")


CASES = [
    ("flow to a missing element", SOURCE.replace('targetRef="Task_ContactZorgLeggen"', 'targetRef="Weg"'),
     "er bestaat geen element met id 'Weg'"),
    ("duplicate id", SOURCE.replace('id="Task_VerwijzingRegelen"', 'id="Task_ContactZorgLeggen"'),
     "het id 'Task_ContactZorgLeggen' van gebruikerstaak <userTask> is ongeldig of komt twee keer voor"),
    ("misplaced element", SOURCE.replace("</bpmn:process>", "<bpmn:bogus/></bpmn:process>"),
     "<bogus> staat hier niet op een toegestane plaats"),
    ("bad boolean", SOURCE.replace('isExecutable="true"', 'isExecutable="ja"'),
     "'ja' is geen geldige waarde voor isExecutable van proces <process>; verwacht: true of false"),
    ("missing attribute", SOURCE.replace('sourceRef="Task_VerwijzingRegelen" ', ""),
     "pijl (sequenceFlow) <sequenceFlow> mist het verplichte attribuut 'sourceRef'"),
    ("attribute not allowed", SOURCE.replace('<bpmn:endEvent id="Eind_zorg_ingezet"', '<bpmn:endEvent kleur="rood" id="Eind_zorg_ingezet"'),
     "het attribuut 'kleur' is niet toegestaan op eindgebeurtenis <endEvent>"),
    ("no start event", re.sub(r"<bpmn:startEvent .*?</bpmn:startEvent>", "", SOURCE, flags=re.S),
     "het proces heeft geen startgebeurtenis"),
    ("not executable", SOURCE.replace('isExecutable="true"', 'isExecutable="false"'),
     "proces 'p1_zorg' is niet uitvoerbaar gemarkeerd"),
    ("flow without condition", SOURCE.replace('default="Flow_VerwijzingNodig_ZorgInzetSamen"', 'default="Flow_Weg"'),
     "een uitgaande pijl van een exclusieve gateway heeft geen voorwaarde en is niet het standaardpad"),
    ("unknown called process", SOURCE.replace(
        '<bpmn:userTask id="Task_VerwijzingRegelen" name="Verwijzing regelen" camunda:formKey="p1_verwijzing" '
        'camunda:candidateGroups="inbrenger" camunda:assignee="inbrenger">',
        '<bpmn:callActivity id="Task_VerwijzingRegelen" calledElement="p9_onbekend">').replace(
        '</bpmn:userTask>\n    <bpmn:exclusiveGateway id="Gateway_ZorgInzetSamen">',
        '</bpmn:callActivity>\n    <bpmn:exclusiveGateway id="Gateway_ZorgInzetSamen">'),
     "het aangeroepen proces 'p9_onbekend' bestaat niet in de uitrol; bedoelt u 'p1_zorg'?"),
    ("not XML", SOURCE[:-40], "geen geldige XML (regel"),
]


@pytest.mark.parametrize("label, xml, expected", CASES, ids=[c[0] for c in CASES])
def test_a_process_owners_mistake_reads_in_dutch(label, xml, expected):
    exc = parse_error(xml)
    message = dutch(exc)
    assert message.startswith(expected), message
    if not isinstance(exc, etree.XMLSyntaxError):  # that one quotes libxml2 on purpose, for the line
        assert not ENGLISH.search(message.split("[")[0].replace("<", " ")), message


def test_the_element_and_line_are_kept():
    message = dutch(parse_error(SOURCE.replace('isExecutable="true"', 'isExecutable="false"')))
    assert message.endswith("[element 'p1_zorg']")
    assert re.search(r"\[regel \d+\]$", dutch(parse_error(SOURCE.replace("</bpmn:process>", "<bpmn:x/></bpmn:process>"))))


def test_an_unknown_message_gets_a_dutch_wrapper_with_the_original():
    assert dutch(ValidationException("Something nobody has seen before.")) == (
        "de engine weigert het diagram; zie de oorspronkelijke melding (Something nobody has seen before)")
    assert dutch(RuntimeError("boom\nsecond line")) == "de engine weigert het diagram; zie de oorspronkelijke melding (boom)"


def test_dutch_expression_errors_pass_unchanged():
    assert dutch(ExpressieFout("onbekend gegeven 'x'")) == "onbekend gegeven 'x'"
