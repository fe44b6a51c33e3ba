"""The task page: the form with proper controls, documentation and case summary; validation
messages that keep what was typed; drafts; completing (and the next task); reassigning;
conflicts; auditors; escaping."""
from __future__ import annotations

import re

import pytest
from flask import render_template_string
from markupsafe import escape

from .helpers import CAB, html

CAB_TASK = "Consultatie- en adviesbespreking houden"


def cab_page(web):
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    return case_id, task, web.browser("vera")


def value_of(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


def test_the_form_documentation_and_case_summary(web):
    case_id, task, vera = cab_page(web)
    response = vera.get(f"/taken/{task.id}")
    page = html(response)
    assert response.status_code == 200 and f"<h1>{CAB_TASK}</h1>" in page
    assert "Wat u in deze stap doet" in page and task.documentation[:40] in page
    case = web.service.case(case_id)
    assert case.referentie in page and "Roosendaal" in page and "Sam de Vries" in page and "Anna de Jong" in page
    # Choices as radio buttons, free text as a textarea, multiple choice as checkboxes.
    assert page.count('type="radio" name="advies_type"') + page.count('type="radio" id="f-advies_type" name="advies_type"') == 3
    assert '<textarea id="f-advies_tekst" name="advies_tekst"' in page
    assert page.count('type="checkbox"') == 4 and 'value="interventiegesprek_rvdk"' in page
    # The repeated group: three empty rows without JavaScript, a template row for adding one.
    for row in range(3):
        assert f'name="afspraken-{row}-wie"' in page
    assert 'name="afspraken-3-wie"' not in page
    assert re.search(r'name="afspraken-0-wanneer" type="date"', page)
    assert 'name="afspraken-__i__-wie"' in page and 'class="rij-toevoegen" hidden' in page
    # Help texts, required marks, show_if for the parties of a netwerkberaad.
    assert "Kies één of meer interventies" in page and 'class="verplicht"' in page
    assert 'data-show-if-field="interventies" data-show-if-contains="&#34;netwerkberaad&#34;"' in page
    assert 'value="afronden"' in page and 'value="opslaan"' in page and "Concept opslaan" in page
    assert '<script src="/static/js/formulier.js" defer></script>' in page


def test_every_form_renders_with_a_control_per_field(web):
    """All forms in forms/ through the same macros: the right control for every field type. A
    people picker (type user) is a select of the users the service offers for a case of Roosendaal."""
    from app.service import people

    forms = web.service.ctx.forms
    controls = {"text": 'type="text"', "long_text": "<textarea", "date": 'type="date"',
                "datetime": 'type="datetime-local"', "number": 'type="number"', "yes_no": 'type="radio"',
                "multiple_choice": 'type="checkbox"', "user": "<select"}
    pickers = 0
    with web.app.test_request_context("/"), web.service.ctx.transaction() as session:
        offer = people.lookup(session, "roosendaal")
        for key in forms.keys():
            definition = people.resolve(forms.get(key), offer)
            page = render_template_string('{% import "_form.html" as f %}{{ f.fields(d, {}, none) }}', d=definition)
            blocks = {re.match(r'[^>]*data-veld="(\w+)"', b).group(1): b for b in page.split('<div class="veld')[1:]}
            for spec in definition.fields:
                assert str(escape(spec.label)) in page, (key, spec.name)
                if spec.type == "list":
                    for item in spec.item_fields:
                        assert f'name="{spec.name}-0-{item.name}"' in page, (key, spec.name, item.name)
                    continue
                control = controls.get(spec.type)
                if spec.type == "choice":
                    control = 'type="radio"' if len(spec.options) <= 4 else "<select"
                chunk = blocks[spec.name]
                assert control in chunk, (key, spec.name, spec.type)
                if spec.type == "user":  # exactly the users in scope, by name
                    offered = offer(spec.role, spec.scope)
                    assert re.findall(r'<option value="([^"]+)"', chunk) == [u for u, _ in offered], (key, spec.name)
                    assert all(str(escape(label)) in chunk for _, label in offered), (key, spec.name)
                    select = re.search(r"<select[^>]*>", chunk).group(0)
                    assert (" multiple" in select) == spec.multiple, (key, spec.name)
                    pickers += bool(offered)
    assert pickers, "no people picker offered anybody"


def test_validation_messages_per_field_keep_what_was_typed(web):
    _, task, vera = cab_page(web)
    vera.get(f"/taken/{task.id}")
    response = vera.post(f"/taken/{task.id}", {
        "actie": "afronden", "advies_tekst": "Mijn <b>advies</b>",
        "afspraken-0-wie": "Anna de Jong", "afspraken-0-wat": "", "afspraken-0-wanneer": "2026-03-20",
        "afspraken-1-wie": "", "afspraken-1-wat": "",
        "aansluitende_partners-0-naam": "Nina", "aansluitende_partners-0-organisatie": "GGZ",
    })
    page = html(response)
    assert response.status_code == 422
    assert "Het formulier is nog niet goed ingevuld" in page
    # Messages next to the fields, in Dutch.
    assert re.search(r'data-veld="advies_type".*?Maak een keuze\.', page, re.S)
    assert re.search(r'data-veld="interventies".*?Kies er minstens één\.', page, re.S)
    assert re.search(r'name="afspraken-0-wat".*?<ul class="meldingen" id="m-afspraken-0-wat"><li>Dit veld is verplicht\.', page, re.S)
    # What was typed is still there (escaped), rows included.
    assert "Mijn &lt;b&gt;advies&lt;/b&gt;</textarea>" in page
    assert value_of(page, "afspraken-0-wie") == "Anna de Jong"
    assert value_of(page, "afspraken-0-wanneer") == "2026-03-20"
    assert value_of(page, "aansluitende_partners-0-naam") == "Nina"
    assert value_of(page, "aansluitende_partners-0-organisatie") == "GGZ"
    assert web.service.task(task.id).state == "open"


def test_a_draft_is_kept_and_fills_the_form_next_time(web):
    _, task, vera = cab_page(web)
    vera.get(f"/taken/{task.id}")
    response = vera.post(f"/taken/{task.id}", {
        "actie": "opslaan", "advies_type": "andere_aanpak", "advies_tekst": "Half af",
        "afspraken-0-wie": "Anna", "interventies": "zorg",
    })
    assert response.status_code == 302 and response.headers["Location"] == f"/taken/{task.id}"
    page = html(vera.get(f"/taken/{task.id}"))
    assert "Concept opgeslagen" in page and "U werkt verder aan uw opgeslagen concept" in page
    assert "Half af</textarea>" in page and value_of(page, "afspraken-0-wie") == "Anna"
    assert re.search(r'name="advies_type" value="andere_aanpak" checked', page)
    assert re.search(r'name="interventies" value="zorg" checked', page)
    assert not re.search(r'name="interventies" value="netwerkberaad" checked', page)
    assert web.service.task(task.id).state == "open"
    # The draft is vera's: a colleague with the same role starts empty.
    web.service.upsert_user("vince", "Vince VHT", ["veiligheidsteam"], password_hash=web.service.user("vera").password_hash)
    vince = web.browser()
    vince.login("vince", "vera-demo")
    assert "Half af" not in html(vince.get(f"/taken/{task.id}"))


def test_complete_goes_to_the_next_task_of_the_case_or_back_to_the_werkbak(web):
    case_id, task, vera = cab_page(web)
    vera.get(f"/taken/{task.id}")
    done = vera.post(f"/taken/{task.id}", {
        "actie": "afronden", "advies_type": "andere_aanpak", "advies_tekst": "Zorg en gesprek.",
        "afspraken-0-wie": "Anna", "afspraken-0-wat": "Organiseren",
        "interventies": ["zorg", "interventiegesprek"],
        # Typed in, but netwerkberaad is not chosen: hidden, so not sent (no error).
        "benodigde_partijen-0-naam": "Oma",
    })
    assert done.status_code == 302 and done.headers["Location"] == "/werkbak"
    assert f"Taak &#39;{CAB_TASK}&#39; afgerond." in html(vera.get("/werkbak"))
    completed = web.service.task(task.id)
    assert completed.state == "completed" and completed.completed_by == "vera"
    assert web.service.case_history(case_id)[-1].data["data"]["interventies"] == ["zorg", "interventiegesprek"]

    # Anna processes the advice; her next task in this case opens straight away.
    advies = web.open_task(case_id, "Task_AdviesVerwerken")
    anna = web.browser("anna")
    anna.get(f"/taken/{advies.id}")
    response = anna.post(f"/taken/{advies.id}", {"actie": "afronden", "vk_advies_verwerkt": "ja"})
    following = {t.id: t for t in web.service.tasks(case_id=case_id) if t.assignee == "anna"}
    assert response.status_code == 302
    next_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert next_id in following and following[next_id].bpmn_id in ("Task_ContactZorgLeggen", "Task_MomentPlannen")
    page = html(anna.get(response.headers["Location"]))
    assert "Dit is uw volgende taak in casus" in page and f"<h1>{following[next_id].name}</h1>" in page


def test_datetime_and_yes_no_controls_and_their_messages(web):
    case_id, task, _ = cab_page(web)
    web.service.complete_task(task.id, CAB, "vera")
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    moment = web.open_task(case_id, "Task_MomentPlannen")
    zorg = web.open_task(case_id, "Task_ContactZorgLeggen")
    anna = web.browser("anna")
    page = html(anna.get(f"/taken/{moment.id}"))
    assert 'name="gesprek_datum" type="datetime-local"' in page
    response = anna.post(f"/taken/{moment.id}", {"actie": "afronden", "gesprek_datum": "2026-03-12T10:00",
                                                  "deelnemers-0-naam": "Petra"})
    page = html(response)
    assert response.status_code == 422 and value_of(page, "gesprek_datum") == "2026-03-12T10:00"
    assert re.search(r'name="deelnemers-0-rol".*?Dit veld is verplicht', page, re.S)
    page = html(anna.get(f"/taken/{zorg.id}"))
    assert 'name="zorg_vht_organisatie" value="ja"' in page and 'name="zorg_vht_organisatie" value="nee"' in page
    response = anna.post(f"/taken/{zorg.id}", {"actie": "afronden", "zorgsoort": "eerstelijns",
                                               "zorgaanbieder_naam": "GGZ", "zorg_vht_organisatie": "nee"})
    assert response.status_code == 302
    assert web.service.case_history(case_id)[-1].data["data"]["zorg_vht_organisatie"] is False


def test_reassign_to_a_colleague_with_a_reason_shows_in_the_history(web):
    case_id, task, _ = cab_page(web)
    web.service.complete_task(task.id, CAB, "vera")
    advies = web.open_task(case_id, "Task_AdviesVerwerken")
    anna = web.browser("anna")
    page = html(anna.get(f"/taken/{advies.id}"))
    assert "Overdragen aan collega" in page and '<option value="gina">Gina Bakker' in page
    assert '<option value="vera"' not in page and '<option value="anna"' not in page  # role inbrenger, not herself

    missing = anna.post(f"/taken/{advies.id}/overdragen", {"naar": "gina", "reden": "  "})
    assert missing.status_code == 422
    assert "Geef een reden op" in html(missing) and '<option value="gina" selected>' in html(missing)
    assert web.service.task(advies.id).assignee == "anna"

    done = anna.post(f"/taken/{advies.id}/overdragen", {"naar": "gina", "reden": "Anna is met <b>vakantie</b>"})
    assert done.status_code == 302 and done.headers["Location"] == "/werkbak"
    assert web.service.task(advies.id).assignee == "gina"
    assert "overgedragen aan Gina Bakker" in html(anna.get("/werkbak"))
    history = html(anna.get(f"/casussen/{case_id}"))
    assert "Taak overgedragen: Advies en afspraken verwerken in de Veiligheidskaart, van Anna de Jong aan Gina Bakker" in history
    assert "Reden: Anna is met &lt;b&gt;vakantie&lt;/b&gt;" in history
    # Gina has it in her werkbak now; for anna it is gone (404, like any task not hers).
    assert "Advies en afspraken verwerken" in html(web.browser("gina").get("/werkbak"))
    assert anna.get(f"/taken/{advies.id}").status_code == 404


def test_someone_else_completed_it_first_nothing_typed_is_lost(web):
    _, task, vera = cab_page(web)
    vera.get(f"/taken/{task.id}")
    web.service.complete_task(task.id, CAB, "vera")  # e.g. in another tab
    response = vera.post(f"/taken/{task.id}", {"actie": "afronden", "advies_tekst": "Mijn versie",
                                               "advies_type": "andere_aanpak"})
    page = html(response)
    assert response.status_code == 409
    assert "al afgerond" in page and "Wat u invulde staat hieronder nog" in page
    assert "Mijn versie</textarea>" in page


def test_the_auditor_reads_the_task_but_cannot_act(web):
    _, task, _ = cab_page(web)
    ahmed = web.browser("ahmed")
    page = html(ahmed.get(f"/taken/{task.id}"))
    assert CAB_TASK in page and '<fieldset class="formulier-velden" disabled>' in page
    assert 'value="afronden"' not in page and "Overdragen aan collega" not in page
    for data in ({"actie": "afronden", **{"advies_tekst": "x"}}, {"actie": "opslaan"}):
        response = ahmed.post(f"/taken/{task.id}", data)
        assert response.status_code == 403 and "Geen toegang" in html(response)
    assert ahmed.post(f"/taken/{task.id}/claimen").status_code == 403
    assert ahmed.post(f"/taken/{task.id}/overdragen", {"naar": "vera", "reden": "x"}).status_code == 403
    assert web.service.task(task.id).state == "open" and web.service.task(task.id).assignee is None


@pytest.mark.parametrize("text", ['<script>alert("x")</script>', '<img src=x onerror="alert(1)">'])
def test_html_and_script_in_text_are_shown_escaped(web, text):
    case_id = web.start_case(jeugdigen=[{"naam": text, "geboortedatum": "2015-06-01"}],
                             inbrenger_organisatie=text)
    task = web.open_task(case_id, "Task_CabHouden")
    vera = web.browser("vera")
    vera.get(f"/taken/{task.id}")
    vera.post(f"/taken/{task.id}", {"actie": "opslaan", "advies_tekst": text, "afspraken-0-wie": text})
    pages = [html(vera.get(f"/taken/{task.id}")), html(vera.get(f"/casussen/{case_id}")),
             html(web.browser("anna").get(f"/casussen/{case_id}"))]
    for page in pages:
        assert text not in page
        assert "&lt;" in page and ("&lt;script&gt;" in page or "&lt;img" in page)
