"""The forms in forms/: every one is used by a diagram, every diagram's form exists, and
submitted data is checked the way a professional would expect (in Dutch, per field)."""
from pathlib import Path

import pytest
from lxml import etree

from app.formdefs import FormRegistry, FormValidationError

ROOT = Path(__file__).resolve().parents[2]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
FORM_KEY = "{http://camunda.org/schema/1.0/bpmn}formKey"


def used_form_keys() -> dict[str, str]:
    used = {}
    for path in sorted((ROOT / "processes").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for node in root.iter():
            if isinstance(node.tag, str) and node.get(FORM_KEY):
                used[node.get(FORM_KEY)] = path.name
        for message in root.iterfind(".//bpmn:message", NS):
            caught = root.xpath(
                ".//bpmn:intermediateCatchEvent/bpmn:messageEventDefinition[@messageRef=$ref]"
                " | .//bpmn:boundaryEvent/bpmn:messageEventDefinition[@messageRef=$ref]",
                namespaces=NS, ref=message.get("id"))
            if caught:
                used[f"bericht_{message.get('name')}"] = path.name
    return used


def test_every_form_key_resolves_and_every_form_is_used():
    forms = FormRegistry(ROOT / "forms")
    used = used_form_keys()
    missing = sorted(k for k in used if k not in forms)
    unused = sorted(k for k in forms.keys() if k not in used)
    assert not missing, f"diagrams refer to forms that do not exist: {missing}"
    assert not unused, f"forms no diagram uses: {unused}"
    assert len(used) >= 40


def test_every_user_task_has_a_form_and_a_role():
    for path in sorted((ROOT / "processes").glob("*.bpmn")):
        for task in etree.parse(str(path)).getroot().iterfind(".//bpmn:userTask", NS):
            assert task.get(FORM_KEY), f"{path.name} {task.get('id')} has no camunda:formKey"
            assert task.get("{http://camunda.org/schema/1.0/bpmn}candidateGroups"), f"{path.name} {task.get('id')}"


@pytest.fixture(scope="module")
def forms():
    return FormRegistry(ROOT / "forms")


CAB_OK = {
    "advies_type": "andere_aanpak", "advies_tekst": "Advies", "interventies": ["zorg"],
    "afspraken": [{"wie": "Anna", "wat": "Zorg regelen"}],
}


def test_valid_data_is_typed_and_kept(forms):
    cleaned = forms.validate("p0_cab_houden", {**CAB_OK, "afspraken": [
        {"wie": "Anna", "wat": "Bellen", "wanneer": "2026-03-10", "monitoring": "wekelijks"}]})
    assert cleaned["interventies"] == ["zorg"]
    assert cleaned["afspraken"][0]["wanneer"] == "2026-03-10"


def test_missing_wrong_and_unknown_fields_get_dutch_messages_per_field(forms):
    with pytest.raises(FormValidationError) as error:
        forms.validate("p0_cab_houden", {
            "advies_type": "weet_niet", "interventies": "zorg", "afspraken": [{"wat": "x"}],
            "gateway_omzeilen": True,
        })
    errors = error.value.errors
    assert errors["advies_tekst"] == ["Dit veld is verplicht."]
    assert errors["advies_type"][0].startswith("Kies een van")
    assert errors["interventies"] == ["Verwacht een lijst."]
    assert errors["gateway_omzeilen"] == ["Onbekend veld: dit formulier kent dit veld niet."]
    assert errors["afspraken"][0]["wie"] == ["Dit veld is verplicht."]


def test_hidden_field_may_not_be_sent_and_is_not_required(forms):
    # benodigde_partijen is only asked when netwerkberaad is among the interventions.
    cleaned = forms.validate("p0_cab_houden", CAB_OK)
    assert "benodigde_partijen" not in cleaned
    with pytest.raises(FormValidationError) as error:
        forms.validate("p0_cab_houden", {**CAB_OK, "benodigde_partijen": [{"naam": "Oma"}]})
    assert "alleen gevraagd" in error.value.errors["benodigde_partijen"][0]


def test_dates_and_datetimes_are_checked(forms):
    data = {"gemeente": "roosendaal", "inbrenger_organisatie": "SPRING", "ouders": [{"naam": "P"}],
            "jeugdigen": [{"naam": "S", "geboortedatum": "31-02-2015"}], "cab_datum": "morgen", "maatregel": "geen"}
    with pytest.raises(FormValidationError) as error:
        forms.validate("start_casus", data)
    assert error.value.errors["cab_datum"] == ["Vul een geldige datum in (JJJJ-MM-DD)."]
    assert error.value.errors["jeugdigen"][0]["geboortedatum"] == ["Vul een geldige datum in (JJJJ-MM-DD)."]


def test_script_text_is_kept_verbatim_as_text(forms):
    cleaned = forms.validate("p0_cab_houden", {**CAB_OK, "advies_tekst": "<script>alert(1)</script>"})
    assert cleaned["advies_tekst"] == "<script>alert(1)</script>"  # escaping is the renderer's job


def test_spaces_only_is_not_an_answer(forms):
    with pytest.raises(FormValidationError) as error:
        forms.validate("p0_cab_houden", {**CAB_OK, "advies_tekst": "   ", "afspraken": [{"wie": " ", "wat": "x"}]})
    assert error.value.errors["advies_tekst"] == ["Dit veld is verplicht."]
    assert error.value.errors["afspraken"][0]["wie"] == ["Dit veld is verplicht."]


def test_p6_takes_one_youth_because_its_deadlines_count_from_that_birthday(forms):
    data = {"gemeente": "rucphen", "inbrenger_organisatie": "JBB", "maatregel": "voogdij",
            "jeugdigen": [{"naam": "A", "geboortedatum": "2009-01-01"}, {"naam": "B", "geboortedatum": "2010-01-01"}]}
    with pytest.raises(FormValidationError) as error:
        forms.validate("start_p6", data)
    assert "hoogstens 1" in error.value.errors["jeugdigen"][0]
