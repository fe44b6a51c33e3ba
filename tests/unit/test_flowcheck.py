"""Bundle checks that stop a deploy which would get cases stuck (issue 10, section 3).

Every refusal is shown with a real diagram from processes/, copied and broken with one small
lxml edit; the real bundle itself must pass without a single problem.
"""
import inspect
import json
import shutil
import time
from pathlib import Path

import pytest
from lxml import etree

from app.engine import flowcheck
from app.engine.flowcheck import check_bundle, juel_words
from app.formdefs import FormRegistry
from app.service.users import CASE_ROLES

ROOT = Path(__file__).resolve().parents[2]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@pytest.fixture(scope="module")
def forms():
    return FormRegistry(ROOT / "forms")


@pytest.fixture(scope="module")
def parameters():
    return json.loads((ROOT / "processes" / "parameters.json").read_text(encoding="utf-8"))


@pytest.fixture
def bundle(tmp_path):
    """A copy of processes/ and an editor for one of its files; returns all contents after edits."""
    folder = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", folder)

    class Editor:
        def edit(self, file_name, change):
            path = folder / file_name
            tree = etree.parse(str(path))
            change(tree.getroot())
            tree.write(str(path), xml_declaration=True, encoding="UTF-8")
            return self

        def contents(self):
            return {p.name: p.read_bytes() for p in sorted(folder.glob("*.bpmn"))}

    return Editor()


def run(editor, forms, parameters):
    return check_bundle(editor.contents(), forms, parameters, CASE_ROLES)


def one(root, xpath):
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, xpath
    return found[0]


def set_condition(flow, text):
    for old in flow.findall("bpmn:conditionExpression", NS):
        flow.remove(old)
    cond = etree.SubElement(flow, f"{{{NS['bpmn']}}}conditionExpression")
    cond.set(XSI_TYPE, "bpmn:tFormalExpression")
    cond.text = text


def messages(problems, element_id=None):
    return [p.message for p in problems if element_id is None or p.element_id == element_id]


# --- the real bundle ---------------------------------------------------------------------------------

def test_real_processes_have_no_problems(bundle, forms, parameters):
    start = time.perf_counter()
    problems = run(bundle, forms, parameters)
    elapsed_ms = (time.perf_counter() - start) * 1000
    assert problems == [], "\n".join(map(str, problems))
    print(f"check_bundle over processes/: {elapsed_ms:.0f} ms")
    assert elapsed_ms < 5000


def test_every_expression_of_the_real_bundle_is_checked_against_its_data(forms):
    """The data-flow analysis reaches every condition, timer, dueDate and assignee (none is
    skipped as unreachable), so 'no problems' above means something."""
    roots = {p.name: etree.parse(str(p)).getroot() for p in sorted((ROOT / "processes").glob("*.bpmn"))}
    processes = {pr.get("id"): (f, pr) for f, r in roots.items() for pr in r.iter(flowcheck.q("process"))}
    data = flowcheck._bundle(roots, processes, forms)
    flowcheck._run_dataflow(data, roots, processes, forms, lambda *a: None)
    checked = {(s.file, s.node.get("id"), s.text) for s in data.sites}
    every = {(f, n.get("id"), t) for f, r in roots.items() for n, _w, t in flowcheck.expressions_of(r)}
    assert every and every <= checked


# --- 1. roles ---------------------------------------------------------------------------------------

def test_unknown_candidate_group_is_refused_with_the_closest_role(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: one(r, "//bpmn:userTask[@id='Task_DirecteToegangFaciliteren']")
                .set(f"{CAMUNDA}candidateGroups", "netwerkpartners"))
    problems = run(bundle, forms, parameters)
    assert len(problems) == 1
    assert problems[0].element_id == "Task_DirecteToegangFaciliteren"
    assert problems[0].message.startswith("'netwerkpartners' is geen rol; bedoelt u 'netwerkpartner'?")


def test_unknown_starter_group_is_refused(bundle, forms, parameters):
    bundle.edit("p0_consultatie_advies.bpmn", lambda r: one(r, "//bpmn:process")
                .set(f"{CAMUNDA}candidateStarterGroups", "inbrengr"))
    assert any("'inbrengr' is geen rol; bedoelt u 'inbrenger'?" in m
               for m in messages(run(bundle, forms, parameters), "p0_consultatie_advies"))


# --- 2. assignee ---------------------------------------------------------------------------------------

def test_assignee_reading_an_unknown_field_is_refused(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: one(r, "//bpmn:userTask[@id='Task_VerwijzingRegelen']")
                .set(f"{CAMUNDA}assignee", "behandelaar"))
    found = messages(run(bundle, forms, parameters), "Task_VerwijzingRegelen")
    assert len(found) == 1 and found[0].startswith("camunda:assignee leest 'behandelaar', maar geen formulier")


def test_gekozen_of_a_field_no_form_fills_is_refused(bundle, forms, parameters):
    bundle.edit("p5_warme_overdracht.bpmn", lambda r: one(r, "//bpmn:userTask[@id='Task_Kernbeslissing']")
                .set(f"{CAMUNDA}assignee", "gekozen('gi_gebruikr')"))
    found = messages(run(bundle, forms, parameters), "Task_Kernbeslissing")
    assert len(found) == 1
    assert "gekozen('gi_gebruikr')" in found[0] and "Bedoelt u 'gi_gebruiker'?" in found[0]


# --- 3. data flow ------------------------------------------------------------------------------------

def test_condition_on_a_name_no_form_produces_is_refused(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: set_condition(
        one(r, "//bpmn:sequenceFlow[@id='Flow_VerwijzingNodig_VerwijzingRegelen']"), "zorg_soort == 'tweedelijns'"))
    problems = run(bundle, forms, parameters)
    assert [p.element_id for p in problems] == ["Flow_VerwijzingNodig_VerwijzingRegelen"]
    assert "voorwaarde leest 'zorg_soort'" in problems[0].message
    assert "Bedoelt u 'zorgsoort'?" in problems[0].message


def test_condition_on_an_optional_field_is_refused(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: set_condition(
        one(r, "//bpmn:sequenceFlow[@id='Flow_VerwijzingNodig_VerwijzingRegelen']"), "contact_zorg_toelichting == ''"))
    found = messages(run(bundle, forms, parameters), "Flow_VerwijzingNodig_VerwijzingRegelen")
    assert len(found) == 1 and "niet op elk pad hiernaartoe ingevuld" in found[0]


def test_condition_after_a_join_on_a_field_of_one_branch_is_refused(bundle, forms, parameters):
    """verwijzing_datum is required in the referral form, but the other branch skips that form."""
    def change(root):
        gateway = one(root, "//bpmn:exclusiveGateway[@id='Gateway_ZorgSamen']")
        gateway.set("default", "Flow_ZorgSamen_zorg_ingezet")
        flow = one(root, "//bpmn:sequenceFlow[@id='Flow_ZorgSamen_zorg_ingezet']")
        extra = etree.SubElement(flow.getparent(), f"{{{NS['bpmn']}}}sequenceFlow", id="Flow_Extra",
                                 sourceRef="Gateway_ZorgSamen", targetRef="Eind_zorg_ingezet")
        set_condition(extra, "verwijzing_datum == '2026-01-01'")
    bundle.edit("p1_zorg.bpmn", change)
    found = messages(run(bundle, forms, parameters), "Flow_Extra")
    assert len(found) == 1 and "niet op elk pad hiernaartoe ingevuld" in found[0]


def test_a_read_guarded_by_and_needs_the_name_on_some_path_only(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: set_condition(
        one(r, "//bpmn:sequenceFlow[@id='Flow_VerwijzingNodig_VerwijzingRegelen']"),
        "zorgsoort == 'tweedelijns' and contact_zorg_toelichting != ''"))
    assert run(bundle, forms, parameters) == []


def test_timer_in_a_called_process_names_its_caller(bundle, forms, parameters):
    bundle.edit("sp_vk_verwerken.bpmn", lambda r: setattr(
        one(r, "//bpmn:timeDate"), "text", "einde_dag(werkdagen_na(cab_gehouden, 2))"))
    found = messages(run(bundle, forms, parameters))
    assert found and all("leest 'cab_gehouden'" in m for m in found)
    assert any("aangeroepen vanuit CallActivity_AdviesVerwerken" in m for m in found)


# --- 4. gateways ----------------------------------------------------------------------------------------

def _two_conditions(root, gateway_id, first, second):
    gateway = one(root, f"//bpmn:exclusiveGateway[@id='{gateway_id}']")
    default = gateway.attrib.pop("default")
    flows = root.xpath(f"//bpmn:sequenceFlow[@sourceRef='{gateway_id}']", namespaces=NS)
    other = next(f for f in flows if f.get("id") != default)
    set_condition(other, first)
    set_condition(next(f for f in flows if f.get("id") == default), second)


def test_gateway_whose_conditions_miss_a_choice_is_refused(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: _two_conditions(
        r, "Gateway_VerwijzingNodig", "zorgsoort == 'tweedelijns'", "zorgsoort == 'tweedelijn'"))
    found = messages(run(bundle, forms, parameters), "Gateway_VerwijzingNodig")
    assert found == ["Gateway 'Tweedelijnszorg: verwijzing nodig?' heeft geen standaardpad en de voorwaarden "
                     "dekken niet alle antwoorden van 'zorgsoort' (ontbreekt: 'eerstelijns'); maak één uitgaande "
                     "pijl het standaardpad (default) of voeg een voorwaarde toe"]


def test_gateway_whose_conditions_cover_every_choice_is_accepted(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: _two_conditions(
        r, "Gateway_VerwijzingNodig", "zorgsoort == 'tweedelijns'", "zorgsoort == 'eerstelijns'"))
    assert run(bundle, forms, parameters) == []


def test_gateway_covering_yes_no_with_not_is_accepted_and_one_sided_is_refused(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: _two_conditions(
        r, "Gateway_ZorgVhtOrganisatie", "zorg_vht_organisatie == True", "not zorg_vht_organisatie"))
    assert run(bundle, forms, parameters) == []
    bundle.edit("p1_zorg.bpmn", lambda r: set_condition(
        one(r, "//bpmn:sequenceFlow[@id='Flow_ZorgVhtOrganisatie_VerwijzingNodig']"), "zorg_vht_organisatie == True"))
    found = messages(run(bundle, forms, parameters), "Gateway_ZorgVhtOrganisatie")
    assert len(found) == 1 and "(ontbreekt: nee)" in found[0]


def test_gateway_on_two_fields_without_default_is_refused(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: _two_conditions(
        r, "Gateway_VerwijzingNodig", "zorgsoort == 'tweedelijns'", "zorg_vht_organisatie"))
    found = messages(run(bundle, forms, parameters), "Gateway_VerwijzingNodig")
    assert len(found) == 1 and "kan niet bewijzen" in found[0]


# --- 5. dueDate and timer -------------------------------------------------------------------------------

def test_due_date_that_disagrees_with_its_deadline_timer_is_refused(bundle, forms, parameters):
    bundle.edit("p5_warme_overdracht.bpmn", lambda r: one(r, "//bpmn:userTask[@id='Task_Kernbeslissing']")
                .set(f"{CAMUNDA}dueDate", "weken_voor(einde_maatregel, 10)"))
    found = messages(run(bundle, forms, parameters), "Task_Kernbeslissing")
    assert len(found) == 1
    assert "de deadline (camunda:dueDate 'weken_voor(einde_maatregel, 10)')" in found[0]
    assert "de timer 'Termijn kernbeslissing verstreken' (Timer_Kernbeslissing" in found[0]
    assert "einde_maatregel = '2026-03-02'" in found[0]


def test_interrupting_timer_before_the_due_date_is_refused(bundle, forms, parameters):
    bundle.edit("sp_vk_voorbereiden.bpmn", lambda r: one(r, "//bpmn:userTask[@id='Task_VkOverhandigen']")
                .set(f"{CAMUNDA}dueDate", "einde_dag(gesprek_datum)"))
    found = messages(run(bundle, forms, parameters), "Task_VkOverhandigen")
    assert len(found) == 1 and "breekt de taak af" in found[0] and "vóór haar deadline" in found[0]


# --- 6. references ----------------------------------------------------------------------------------------

def test_unknown_called_process_is_refused(bundle, forms, parameters):
    bundle.edit("p0_consultatie_advies.bpmn", lambda r: one(r, "//bpmn:callActivity[@id='CallActivity_Zorg']")
                .set("calledElement", "p1_zorgg"))
    found = messages(run(bundle, forms, parameters), "CallActivity_Zorg")
    assert found == ["roept proces 'p1_zorgg' aan, maar dat zit niet in de uitrol; bedoelt u 'p1_zorg'?"]


def test_flow_from_a_missing_element_is_refused(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: one(r, "//bpmn:sequenceFlow[@id='Flow_VerwijzingRegelen_ZorgInzetSamen']")
                .set("sourceRef", "Task_Weg"))
    found = messages(run(bundle, forms, parameters), "Flow_VerwijzingRegelen_ZorgInzetSamen")
    assert found and "begint bij 'Task_Weg', maar dat element bestaat niet" in found[0]


# --- 7. JUEL ---------------------------------------------------------------------------------------------

def test_juel_literal_is_refused_with_the_word_to_use(bundle, forms, parameters):
    bundle.edit("p1_zorg.bpmn", lambda r: set_condition(
        one(r, "//bpmn:sequenceFlow[@id='Flow_ZorgVhtOrganisatie_DirecteToegangFaciliteren']"),
        "${zorg_vht_organisatie == true}"))
    found = messages(run(bundle, forms, parameters), "Flow_ZorgVhtOrganisatie_DirecteToegangFaciliteren")
    assert found == ["voorwaarde: 'true' is JUEL (Camunda) en bestaat niet in deze expressietaal; "
                     "schrijf True in plaats van true"]


@pytest.mark.parametrize("text, expected", [
    ("a && b", [("&&", "and")]),
    ("a || !b", [("||", "or"), ("!", "not")]),
    ("x eq 'a' and y ne null", [("eq", "=="), ("ne", "!="), ("null", "None")]),
    ("empty lijst", [("empty", "x == None of x == [] of x == ''")]),
    ("x != 'true && false' and y == False", []),
    ("${not klaar}", []),
])
def test_juel_words(text, expected):
    assert juel_words(text) == expected


# --- what the product adds, kept in step with the service layer -------------------------------------------

def test_product_knowledge_matches_the_service_layer():
    from app.service import achttien, cases, task_rules, vht_vervolg

    assert flowcheck.FORM_HOOKS == {task_rules.CAB_FORM: frozenset({"cab_gehouden_op"})}
    assert {k: frozenset(v) for k, v in cases.START_DEFAULTS.items()} == flowcheck.START_DEFAULTS
    assert set(flowcheck.PRODUCT_STARTS) == {vht_vervolg.PROCESS_ID, achttien.PROCESS}
    start_source = inspect.getsource(cases.start_instance)
    assert all(f'"{name}"' in start_source for name in flowcheck.START_NAMES)
    assert '"terug_naar_vht_vanuit"' in inspect.getsource(vht_vervolg._start_decision)
    run_source = inspect.getsource(achttien)
    assert all(f'"{name}"' in run_source for name in flowcheck.PRODUCT_STARTS[achttien.PROCESS])
