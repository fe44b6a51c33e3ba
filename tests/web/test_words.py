"""Words a professional meets (issue 13, part 5): names of things, not their ids; validation
messages that say what to do; a star exactly on the fields that must be filled in."""
from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.formdefs import FormValidationError
from app.formdefs.validation import visible
from app.service.veiligheidskaart import word_diff
from app.web.formdata import form_to_data
from persistence.models import HumanTask
from tests.procedures.gesprek_steps import at, organiseren, reactie_vragen, start_through_p0, zonder_reactie

from .helpers import CAB, html

# An id as the code writes it (reactie_ouders_ontvangen), a task by its number, a line diff's
# marker, an abbreviation written as a word.
RAW = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\bTaak \d+|@@|\bVk\b")


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attributes, and no <code> (the regional
    choices page shows the setting's technical name beside its name, for the procesbeheerder)."""
    page = re.sub(r"<(script|style|code)\b.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def raw_ids(page: str) -> set[str]:
    return set(RAW.findall(visible_text(page)))


@pytest.fixture
def late_case(web):
    """A P3 case at a late stage: no reaction of the parents, the card sent late ('VK te laat'),
    the streeftermijn missed, the parents' reaction arriving after the sending day."""
    service, clock = web.service, web.clock
    case = start_through_p0(service, clock, "interventiegesprek",
                            jeugdigen=[{"naam": "Sam de Vries", "geboortedatum": "2018-04-20"}])
    organiseren(case, "2026-04-30T10:00", jeugdige="uitgenodigd")
    case.move_clock(at(2026, 3, 17, 0, 0))
    reactie_vragen(case)
    zonder_reactie(case, at(2026, 4, 24))
    case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Te laat."})
    case.move_clock(at(2026, 4, 25, 0, 0))
    return case


def test_the_pages_of_a_full_case_name_things_in_words(web, late_case):
    anna = web.browser("anna")
    case_id = late_case.case_id
    with web.service.ctx.reading() as session:
        task_ids = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).all()
    vk_page = html(anna.get(f"/casussen/{case_id}/veiligheidskaart"))
    compare = re.findall(r'href="(/casussen/\d+/veiligheidskaart/versies/\d+/vergelijk/\d+)"', vk_page)
    urls = ["/werkbak", "/casussen", f"/casussen/{case_id}", f"/casussen/{case_id}/veiligheidskaart",
            "/regionale-keuzes", *[f"/taken/{t}" for t in task_ids], *compare[:1]]
    # Every other page of the case: the messages it can receive, ...
    urls += re.findall(r'href="(/casussen/\d+/berichten/[^"]+)"', html(anna.get(f"/casussen/{case_id}")))
    urls += [rule.rule.replace("<int:case_id>", str(case_id)) for rule in web.app.url_map.iter_rules()
             if rule.arguments == {"case_id"} and "GET" in rule.methods and not rule.rule.startswith("/api")]
    found = {}
    for url in dict.fromkeys(urls):
        response = anna.get(url)
        if response.mimetype != "text/html" or response.status_code in (403, 404):
            continue  # a PDF, JSON, or a page for another role
        assert response.status_code == 200, url
        if hits := raw_ids(html(response)):
            found[url] = sorted(hits)
    assert found == {}
    assert compare, "the card has versions to compare"
    changed = html(anna.get(compare[-1]))
    assert "<ins" in changed or "<del" in changed  # the changed words highlighted in place
    case_page = visible_text(html(anna.get(f"/casussen/{case_id}")))
    assert "VK te laat" in case_page and "Vk te laat" not in case_page
    with web.service.ctx.reading() as session:
        invite = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                            HumanTask.bpmn_id == "Task_OudersEnJeugdigeUitnodigen")).one()
    task_page = visible_text(html(anna.get(f"/taken/{invite}")))
    assert 'instelling "Leeftijdsgrens jeugdige"' in task_page


def test_a_changed_card_shows_the_changed_words_not_a_line_diff():
    pieces = word_diff("Vader brengt Sam naar school.", "Vader brengt Sam en Noor naar school.")
    assert pieces == [("gelijk", "Vader brengt Sam "), ("erbij", "en Noor "), ("gelijk", "naar school.")]
    assert word_diff("", "Nieuw") == [("erbij", "Nieuw")]
    assert word_diff("weg", "") == [("weg", "weg")]


def test_reassigning_without_a_colleague_says_choose_one(web):
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    task = web.open_task(case_id, "Task_AdviesVerwerken")
    anna = web.browser("anna")
    page = html(anna.get(f"/taken/{task.id}"))
    # Both are required, so both carry the star.
    assert re.search(r'<label for="naar">[^<]*<span class="verplicht"', page)
    assert re.search(r'<label for="reden">Reden <span class="verplicht"', page)
    response = anna.post(f"/taken/{task.id}/overdragen", {"naar": "", "reden": "Vakantie"})
    assert response.status_code == 422
    page = html(response)
    assert "Kies een collega." in page and "bestaat niet" not in page
    gone = anna.post(f"/taken/{task.id}/overdragen", {"naar": "niemand", "reden": "Vakantie"})
    assert gone.status_code == 422 and "Kies een collega uit de lijst." in html(gone)


def test_an_empty_checkbox_group_says_choose_at_least_one(web):
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    vera = web.browser("vera")
    vera.get(f"/taken/{task.id}")
    form = {"advies_tekst": "Zorg.", "afspraken-0-wie": "A", "afspraken-0-wat": "B", "actie": "afronden"}
    page = html(vera.post(f"/taken/{task.id}", form))
    assert re.search(r'data-veld="interventies".*?Kies er minstens één\.', page, re.S)
    assert re.search(r'data-veld="advies_type".*?Maak een keuze\.', page, re.S)
    # No option ids in a message: 'Kies uit de opties', not 'Kies uit: zorg, netwerkberaad, ...'.
    with pytest.raises(FormValidationError) as refused:
        web.service.ctx.forms.validate("p0_cab_houden", {**CAB, "interventies": ["alles"]})
    assert refused.value.errors["interventies"] == {0: ["Kies uit de opties."]}


def test_a_star_marks_exactly_the_fields_an_empty_form_is_refused_for(web):
    """Every form as the browser sends it empty: the fields refused are the fields with a star."""
    forms = web.service.ctx.forms
    checked = 0
    for key in forms.keys():
        definition = forms.get(key)
        data = form_to_data(definition, MultiDict())
        try:
            forms.validate(key, data)
            refused = {}
        except FormValidationError as exc:
            refused = exc.errors
        for spec in definition.fields:
            if spec.show_if or spec.requires_setting or not visible(spec, data):
                continue  # shown (and required) only after another answer
            assert (spec.name in refused) == spec.must_answer, (key, spec.name, refused.get(spec.name))
            checked += 1
    assert checked > 100


def test_a_field_that_may_be_left_empty_has_no_star(web):
    """'Maatregelen: alleen indien nodig; laat leeg' carried a star; 'Interventies' must have one."""
    forms = web.service.ctx.forms
    assert not forms.get("sp_gesprek_organiseren_veiligheid").field("veiligheidsmaatregelen").must_answer
    assert forms.get("p0_cab_houden").field("interventies").must_answer
    case_id = web.start_case()
    page = html(web.browser("vera").get(f"/taken/{web.open_task(case_id, 'Task_CabHouden').id}"))
    assert re.search(r"Interventies[^<]*<span class=\"verplicht\"", page) or re.search(
        r"<legend>[^<]*nterventie[^<]*<span class=\"verplicht\"", page)
