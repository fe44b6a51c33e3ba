"""The modeler page inside a concept: its JSON routes (create, save with checks, scenarios), the
deploy preview page with its deploy, and the case-path page a preview row links to."""
from __future__ import annotations

import re

import pytest

from .helpers import html, password_hash

P0 = "p0_consultatie_advies"
P0_DIAGRAM = "processes/p0_consultatie_advies.bpmn"
START_FLOW = '<bpmn:sequenceFlow id="Flow_CasusIngebracht_CabHouden" sourceRef="StartEvent_CasusIngebracht" targetRef="Task_CabHouden" />'
EXTRA_TASK = ('<bpmn:userTask id="Task_Extra" name="Extra stap vooraf" camunda:formKey="p0_cab_houden" '
              'camunda:candidateGroups="veiligheidsteam"><bpmn:incoming>Flow_CasusIngebracht_CabHouden</bpmn:incoming>'
              '<bpmn:outgoing>Flow_Extra_CabHouden</bpmn:outgoing></bpmn:userTask>')


def token_of(browser, url: str) -> str:
    page = html(browser.get(url))
    return re.search(r'data-csrf-token="([^"]+)"', page).group(1)


def post_json(browser, url: str, body: dict, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return browser.client.post(url, json=body, headers=headers)


@pytest.fixture
def pieter(web):
    browser = web.browser("pieter")
    browser.csrf = token_of(browser, f"/beheer/processen/{P0}/modeler")
    return browser


def new_concept(browser, titel="Extra stap") -> dict:
    response = post_json(browser, "/beheer/api/concepten", {"titel": titel}, browser.csrf)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def with_extra_task(xml: str) -> str:
    """P0 with a user task before the CAB: a case waiting on the CAB would take another path."""
    assert START_FLOW in xml
    xml = xml.replace(START_FLOW, START_FLOW.replace('targetRef="Task_CabHouden"', 'targetRef="Task_Extra"')
                      + '<bpmn:sequenceFlow id="Flow_Extra_CabHouden" sourceRef="Task_Extra" targetRef="Task_CabHouden" />')
    xml = xml.replace('<bpmn:incoming>Flow_CasusIngebracht_CabHouden</bpmn:incoming>\n      <bpmn:outgoing>Flow_CabHouden_AdviesVerwerken',
                      '<bpmn:incoming>Flow_Extra_CabHouden</bpmn:incoming>\n      <bpmn:outgoing>Flow_CabHouden_AdviesVerwerken')
    return xml.replace('<bpmn:callActivity id="CallActivity_AdviesVerwerken"', EXTRA_TASK + '<bpmn:callActivity id="CallActivity_AdviesVerwerken"', 1)


def test_the_modeler_opens_a_concepts_diagram_and_forms(web, pieter):
    concept = new_concept(pieter)
    xml = web.service.draft_tree("pieter", concept["id"]).files[P0_DIAGRAM]
    changed = xml.replace('name="Consultatie- en adviesbespreking houden"', 'name="CAB houden"')
    form = '{\n  "title": "Nieuw formulier",\n  "fields": [{"name": "extra_notitie", "type": "text", "label": "Notitie"}]\n}\n'
    response = post_json(pieter, f"/beheer/api/concepten/{concept['id']}/bestanden",
                         {"files": {P0_DIAGRAM: changed, "forms/p0_extra_notitie.json": form},
                          "revision": concept["revision"]}, pieter.csrf)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["ok"] and answer["problems"] == []
    [item] = [i for i in answer["plan"] if i["process_id"] == P0]
    assert item["status"] == "gewijzigd" and item["label"] == "nieuwe versie (nu v1)"

    page = html(pieter.get(f"/beheer/processen/{P0}/modeler?concept={concept['id']}"))
    assert f'data-concept="{concept["id"]}"' in page and "In gebruik nemen…" in page
    diagram = pieter.get(f"/beheer/api/concepten/{concept['id']}/diagrammen/{P0}.bpmn")
    assert diagram.status_code == 200 and 'name="CAB houden"' in diagram.get_data(as_text=True)
    # The form is in the concept only, not in the deployed bundle.
    assert pieter.get(f"/beheer/formulieren/p0_extra_notitie.json?concept={concept['id']}").get_data(as_text=True) == form
    assert pieter.get("/beheer/formulieren/p0_extra_notitie.json").status_code == 404
    assert pieter.get("/beheer/formulieren/p0_cab_houden.json").status_code == 200
    # Without a concept the page offers the owner's concepts, saying which already change this diagram.
    plain = html(pieter.get(f"/beheer/processen/{P0}/modeler"))
    assert re.search(rf'<option value="{concept["id"]}" data-revision="{answer["revision"]}"\s+data-heeft-diagram="ja">Extra stap</option>', plain)
    assert 'data-concept=""' in plain and "Opslaan in concept" in plain
    # The older version's XML opens read-only until saved into a concept.
    assert "alleen lezen" in html(pieter.get(f"/beheer/processen/{P0}/modeler?versie=1"))


def test_save_refusals_answer_in_json(web, pieter):
    concept = new_concept(pieter)
    save_url = f"/beheer/api/concepten/{concept['id']}/bestanden"
    xml = web.service.draft_tree("pieter", concept["id"]).files[P0_DIAGRAM]

    # A condition on a name no form produces: saved, with a Dutch problem at the flow.
    broken = xml.replace('sourceRef="StartEvent_CasusIngebracht" targetRef="Task_CabHouden" />',
                         'sourceRef="StartEvent_CasusIngebracht" targetRef="Task_CabHouden">'
                         '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">zorg_soort == \'x\'</bpmn:conditionExpression>'
                         '</bpmn:sequenceFlow>')
    answer = post_json(pieter, save_url, {"files": {P0_DIAGRAM: broken}, "revision": concept["revision"]}, pieter.csrf).get_json()
    assert not answer["ok"]
    assert any("zorg_soort" in p["message"] for p in answer["problems"]), answer["problems"]
    revision = answer["revision"]

    stale = post_json(pieter, save_url, {"files": {P0_DIAGRAM: xml}, "revision": revision - 1}, pieter.csrf)
    assert stale.status_code == 409 and stale.get_json()["code"] == "conflict"
    assert "ander venster" in stale.get_json()["bericht"]

    bad_path = post_json(pieter, save_url, {"files": {"../etc/passwd": "x"}, "revision": revision}, pieter.csrf)
    assert bad_path.status_code == 422 and "pad" in bad_path.get_json()["velden"]
    assert post_json(pieter, save_url, {"files": {}, "revision": revision}, pieter.csrf).status_code == 422

    no_header = post_json(pieter, save_url, {"files": {P0_DIAGRAM: xml}, "revision": revision}, None)
    assert no_header.status_code == 400 and no_header.is_json
    assert post_json(pieter, "/beheer/api/concepten", {"titel": "zonder"}, None).status_code == 400
    # None of the refused saves changed the concept.
    assert web.service.draft("pieter", concept["id"]).revision == revision


def test_concepts_are_for_their_owner_and_process_owners_only(web, pieter):
    concept = new_concept(pieter)
    web.service.upsert_user("petra", "Petra Procesbeheer", ["procesbeheerder"], password_hash=password_hash("pieter"))
    petra = web.browser()
    from app.demo import demo_password
    assert petra.login("petra", demo_password("pieter")).status_code == 302
    petra.csrf = token_of(petra, f"/beheer/processen/{P0}/modeler")
    other = post_json(petra, f"/beheer/api/concepten/{concept['id']}/bestanden", {"files": {P0_DIAGRAM: "x"}}, petra.csrf)
    assert other.status_code == 404 and other.get_json()["code"] == "niet_gevonden"
    assert petra.get(f"/beheer/processen/{P0}/modeler?concept={concept['id']}").status_code == 404
    assert petra.get(f"/beheer/formulieren/p0_cab_houden.json?concept={concept['id']}").status_code == 404
    assert petra.get(f"/beheer/concepten/{concept['id']}/in-gebruik-nemen").status_code == 404

    anna = web.browser("anna")
    anna_token = anna.token  # the session's token, from the page after the login
    refused = post_json(anna, "/beheer/api/concepten", {"titel": "mag niet"}, anna_token)
    assert refused.status_code == 403 and refused.is_json
    assert anna.get(f"/beheer/api/concepten/{concept['id']}/scenarios").status_code == 403
    assert anna.get(f"/beheer/processen/{P0}/casussen/1/pad").status_code == 403


def test_a_scenario_of_the_concept_runs_and_answers_its_path(web, pieter):
    concept = new_concept(pieter)
    listed = pieter.get(f"/beheer/api/concepten/{concept['id']}/scenarios?procedure=p3_interventiegesprek").get_json()
    assert listed["scenarios"] and {s["process_id"] for s in listed["scenarios"]} == {"p3_interventiegesprek"}
    name = listed["scenarios"][0]["name"]
    run = post_json(pieter, f"/beheer/api/concepten/{concept['id']}/scenarios/uitvoeren", {"naam": name}, pieter.csrf)
    answer = run.get_json()
    assert run.status_code == 200 and answer["ok"] and answer["path"] and answer["end_state"], answer
    missing = post_json(pieter, f"/beheer/api/concepten/{concept['id']}/scenarios/uitvoeren", {"naam": "bestaat niet"}, pieter.csrf)
    assert missing.status_code == 404 and "bestaat niet" in missing.get_json()["bericht"]


def test_preview_lists_a_case_on_another_path(web, pieter):
    case_id = web.start_case()  # waits at the CAB
    reference = web.service.case(case_id).referentie
    concept = new_concept(pieter)
    xml = web.service.draft_tree("pieter", concept["id"]).files[P0_DIAGRAM]
    saved = post_json(pieter, f"/beheer/api/concepten/{concept['id']}/bestanden",
                      {"files": {P0_DIAGRAM: with_extra_task(xml)}, "revision": concept["revision"]}, pieter.csrf).get_json()
    # P0's own scenario no longer passes with a step before the CAB: a problem, so no deploy.
    assert any("Task_Extra" in p["message"] for p in saved["problems"]), saved["problems"]

    preview = pieter.get(f"/beheer/concepten/{concept['id']}/in-gebruik-nemen?procedure={P0}")
    page = html(preview)
    assert preview.status_code == 200
    row = re.search(rf'<tr data-uitkomst="([a-z_]+)">\s*<th scope="row"><a href="([^"]+)">{reference}</a>', page)
    assert row, page
    assert row.group(1) == "ander_pad" and "zou een ander pad nemen" in page
    assert row.group(2) == f"/beheer/processen/{P0}/casussen/{case_id}/pad"
    assert 'id="eerst-oplossen"' in page and 'id="in-gebruik-knop" disabled' in page  # the reason can be typed, not sent


def test_deploy_needs_a_reason_and_keeps_running_cases_on_their_version(web, pieter):
    case_id = web.start_case()
    concept = new_concept(pieter, "CAB korter genoemd")
    xml = web.service.draft_tree("pieter", concept["id"]).files[P0_DIAGRAM]
    changed = xml.replace('name="Consultatie- en adviesbespreking houden"', 'name="CAB houden"')
    saved = post_json(pieter, f"/beheer/api/concepten/{concept['id']}/bestanden",
                      {"files": {P0_DIAGRAM: changed}, "revision": concept["revision"]}, pieter.csrf).get_json()
    assert saved["ok"], saved["problems"]
    page = html(pieter.get(f"/beheer/concepten/{concept['id']}/in-gebruik-nemen?procedure={P0}"))
    assert 'name="reden"' in page and 'id="in-gebruik-knop"' in page
    assert "Ze lopen allemaal precies zo als vastgelegd." in page  # a new name takes no case elsewhere

    confirm = f"/beheer/concepten/{concept['id']}/in-gebruik-nemen"
    refused = pieter.post(confirm, {"reden": "   ", "procedure": P0})
    assert refused.status_code == 422
    assert 'id="reden-fout"' in html(refused) and "geef een reden op" in html(refused)
    assert web.service.draft("pieter", concept["id"]).files  # the concept is kept
    assert web.service.process_version(P0).version == 1

    done = pieter.post(confirm, {"reden": "Kortere naam, besluit regio-overleg", "procedure": P0})
    assert done.status_code == 302
    location = done.headers["Location"]
    assert location.endswith(f"/beheer/processen/{P0}/versies") or location.endswith("/beheer/processen")
    newest = web.service.process_version(P0)
    assert newest.version == 2 and newest.reden == "Kortere naam, besluit regio-overleg"
    assert "Versie 2 van" in html(pieter.get(location))
    assert web.service.drafts("pieter") == []
    # The running case keeps its version's task name; a new case gets the new one.
    assert [t.name for t in web.service.tasks(case_id=case_id)] == ["Consultatie- en adviesbespreking houden"]
    assert [t.name for t in web.service.tasks(case_id=web.start_case())] == ["CAB houden"]


def test_case_path_page_shows_the_path_and_no_form_values(web, pieter):
    case_id = web.start_case()  # the family: Petra, Mark and Sam de Vries
    secret = "Geheime afspraak met de familie Zwanenburg"
    task = web.open_task(case_id, "Task_CabHouden")
    from .helpers import CAB
    web.service.complete_task(task.id, {**CAB, "advies_tekst": secret}, "vera")
    response = pieter.get(f"/beheer/processen/{P0}/casussen/{case_id}/pad")
    page = html(response)
    assert response.status_code == 200
    assert web.service.case(case_id).referentie in page
    assert "Consultatie- en adviesbespreking houden" in page and "Taak afgerond" in page
    for private in (secret, "de Vries", "Interventiegesprek organiseren", "andere_aanpak"):
        assert private not in page
    path = re.search(r'data-pad="([^"]+)"', page).group(1).replace("&#34;", '"')
    assert '"Task_CabHouden"' in path and '"StartEvent_CasusIngebracht"' in path
    # The sub-process the case went into, in the version it ran, with its own part of the path.
    assert 'data-process-id="sp_vk_verwerken"' in page
    assert pieter.get(f"/beheer/processen/p3_interventiegesprek/casussen/{case_id}/pad").status_code == 404
