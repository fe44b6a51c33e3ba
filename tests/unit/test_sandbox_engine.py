"""SpiffWorkflow runs diagrams with the sandboxed script engine: gateways, timers, refused scripts."""
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.engine import clock
from app.engine.clock import TZ, FixedClock
from app.engine.expressions import ExpressieFout, SandboxEnvironment, SandboxScriptEngine, make_script_engine
from app.engine.werkdagen import WerkdagKalender

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="http://example.org/vht"')


def _process(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS} id="Defs">' \
           f'<bpmn:process id="p_test" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'


# Start -> "Zorg?" -> ja: wait P2W (unquoted, as a modeler writes it) -> Eind_zorg_ingezet
#                  -> nee (default): Eind_geen_zorg
GATEWAY_AND_TIMER = _process("""
  <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_zorg"/>
  <bpmn:exclusiveGateway id="Gateway_zorg" name="Zorg van een VHT-organisatie?" default="Flow_nee">
    <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_ja</bpmn:outgoing><bpmn:outgoing>Flow_nee</bpmn:outgoing>
  </bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="Flow_ja" name="ja" sourceRef="Gateway_zorg" targetRef="Timer_twee_weken">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'zorg' in interventies and jongste_leeftijd_op(jeugdigen, vandaag()) &lt; 18</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="Flow_nee" name="nee" sourceRef="Gateway_zorg" targetRef="Eind_geen_zorg"/>
  <bpmn:intermediateCatchEvent id="Timer_twee_weken" name="Twee weken">
    <bpmn:incoming>Flow_ja</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    <bpmn:timerEventDefinition id="TimerDef_1">
      <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P2W</bpmn:timeDuration>
    </bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="Flow_2" sourceRef="Timer_twee_weken" targetRef="Eind_zorg_ingezet"/>
  <bpmn:endEvent id="Eind_zorg_ingezet" name="Zorg ingezet"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="Eind_geen_zorg" name="Geen zorg"><bpmn:incoming>Flow_nee</bpmn:incoming></bpmn:endEvent>
""")

# A timeDate computed by helpers: the VK deadline, end of the 3rd working day before the conversation.
TIME_DATE = _process("""
  <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Timer_deadline"/>
  <bpmn:intermediateCatchEvent id="Timer_deadline" name="Deadline VK">
    <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    <bpmn:timerEventDefinition id="TimerDef_2">
      <bpmn:timeDate xsi:type="bpmn:tFormalExpression">${einde_dag(werkdagen_voor(gesprek_datum, instelling('werkdagen_vk')))}</bpmn:timeDate>
    </bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="Flow_2" sourceRef="Timer_deadline" targetRef="Eind_verlopen"/>
  <bpmn:endEvent id="Eind_verlopen"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
""")


def _script_process(script: str) -> str:
    return _process(f"""
  <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_script"/>
  <bpmn:scriptTask id="Task_script" name="Kwaadaardig"><bpmn:incoming>Flow_1</bpmn:incoming>
    <bpmn:outgoing>Flow_2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_script" targetRef="Eind_klaar"/>
  <bpmn:endEvent id="Eind_klaar"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
""")


def _workflow(xml: str, data: dict, kalender=None) -> BpmnWorkflow:
    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode()), filename="test.bpmn")
    wf = BpmnWorkflow(parser.get_spec("p_test"), script_engine=make_script_engine(kalender or WerkdagKalender()))
    wf.task_tree.data.update(data)
    return wf


def _finished(wf: BpmnWorkflow) -> set[str]:
    return {t.task_spec.name for t in wf.get_tasks() if t.task_spec.name.startswith("Eind_") and t.has_state(TaskState.COMPLETED)}


START = datetime(2026, 4, 28, 10, 0, tzinfo=TZ)
JEUGDIGEN = [{"geboortedatum": "2012-05-01"}, {"geboortedatum": "2009-01-01"}]


def test_make_script_engine_is_a_python_script_engine_with_the_sandbox():
    engine = make_script_engine(WerkdagKalender())
    assert isinstance(engine, SandboxScriptEngine)
    assert isinstance(engine.environment, SandboxEnvironment)


def test_gateway_routes_ja_and_unquoted_p2w_timer_is_due_in_14_days():
    fixed = FixedClock(START)
    with clock.active(fixed):
        wf = _workflow(GATEWAY_AND_TIMER, {"interventies": ["zorg"], "jeugdigen": JEUGDIGEN})
        wf.do_engine_steps()

        timer = next(t for t in wf.get_tasks() if t.task_spec.name == "Timer_twee_weken")
        due = TimerEventDefinition.get_datetime(timer.internal_data["event_value"])
        assert due == START + timedelta(days=14)
        assert due == datetime(2026, 5, 12, 8, 0, tzinfo=timezone.utc)
        [event] = wf.waiting_events()
        assert event.event_type == "DurationTimerEventDefinition"
        assert TimerEventDefinition.get_datetime(event.value) == due
        assert not wf.is_completed()

        fixed.set(due - timedelta(minutes=1))
        wf.refresh_timers()
        wf.do_engine_steps()
        assert not wf.is_completed()

        fixed.set(due + timedelta(seconds=1))
        wf.refresh_timers()
        wf.do_engine_steps()
        assert wf.is_completed()
        assert _finished(wf) == {"Eind_zorg_ingezet"}


@pytest.mark.parametrize("data", [
    {"interventies": ["netwerkberaad"], "jeugdigen": JEUGDIGEN},                       # no zorg
    {"interventies": ["zorg"], "jeugdigen": [{"geboortedatum": "2008-04-28"}]},        # 18 today
])
def test_gateway_takes_the_default_flow(data):
    with clock.active(FixedClock(START)):
        wf = _workflow(GATEWAY_AND_TIMER, data)
        wf.do_engine_steps()
        assert wf.is_completed()
        assert _finished(wf) == {"Eind_geen_zorg"}
        assert wf.waiting_events() == []


def test_failing_condition_surfaces_the_dutch_message():
    with clock.active(FixedClock(START)):
        wf = _workflow(GATEWAY_AND_TIMER, {"jeugdigen": JEUGDIGEN})   # interventies missing
        with pytest.raises(WorkflowTaskException, match="onbekend gegeven 'interventies'") as info:
            wf.do_engine_steps()
        assert isinstance(info.value.__cause__, ExpressieFout)


def test_time_date_from_helpers_and_settings():
    with clock.active(FixedClock(START - timedelta(days=10))):
        wf = _workflow(TIME_DATE, {"gesprek_datum": "2026-04-28", "instellingen": {"werkdagen_vk": 3}})
        wf.do_engine_steps()
        [event] = wf.waiting_events()
        assert event.value == "2026-04-22T23:59:59+02:00"


def test_script_tasks_are_refused_and_do_not_run(tmp_path):
    marker = tmp_path / "marker"
    wf = _workflow(_script_process(f"import os; os.system('touch {marker}')"), {})
    with pytest.raises(WorkflowTaskException, match="Scripts zijn niet toegestaan"):
        wf.do_engine_steps()
    assert not marker.exists()
    assert not wf.is_completed()


def test_malicious_condition_does_not_run(tmp_path):
    marker = tmp_path / "marker"
    evil = GATEWAY_AND_TIMER.replace(
        "'zorg' in interventies and jongste_leeftijd_op(jeugdigen, vandaag()) &lt; 18",
        f"().__class__.__base__.__subclasses__()[0]('touch {marker}')")
    wf = _workflow(evil, {"interventies": ["zorg"]})
    with pytest.raises(WorkflowTaskException, match="attributen .* niet toegestaan"):
        wf.do_engine_steps()
    assert not marker.exists()
