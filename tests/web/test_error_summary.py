"""The error summary of a refused task form: above the form, focusable, a link per message to the
control it is about (a row's field by row), in the form's order; the reassign form likewise. A
page without errors has none. (The focus itself: tests/e2e/test_accessibility.py.)"""
from __future__ import annotations

import re

from .helpers import html

SUMMARY = re.compile(r'<div class="melding fout foutoverzicht" tabindex="-1"[^>]*>(.*?)</div>', re.S)


def _summary(page: str) -> str:
    match = SUMMARY.search(page)
    assert match, "no error summary on the page"
    return match.group(1)


def _links(summary: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def _cab(web):
    case_id = web.start_case()
    return web.open_task(case_id, "Task_CabHouden"), web.browser("vera")


def test_an_empty_form_lists_each_required_field_as_a_link_to_it(web):
    task, vera = _cab(web)
    assert "foutoverzicht\"" not in html(vera.get(f"/taken/{task.id}"))

    refused = vera.post(f"/taken/{task.id}", {"actie": "afronden"})
    page = html(refused)
    assert refused.status_code == 422
    summary = _summary(page)
    assert "Controleer het formulier" in summary and "Het formulier is nog niet goed ingevuld" in summary
    links = _links(summary)
    targets = [target for target, _ in links]
    assert targets[:2] == ["f-advies_type", "f-advies_tekst"]
    assert "f-afspraken-0-wie" in targets and "f-interventies" in targets
    assert targets.index("f-afspraken-0-wie") < targets.index("f-interventies")  # the form's order
    assert links[0][1].startswith("Soort advies: ")
    for target in targets:  # every link leads to a control on the page
        assert f'id="{target}"' in page, target
    # The summary comes before the form, and the page loads the script that focuses it.
    assert page.index("foutoverzicht") < page.index('<form method="post" action="/taken/')
    assert '<script src="/static/js/foutoverzicht.js" defer></script>' in page


def test_a_row_missing_a_field_links_to_that_field_of_that_row(web):
    task, vera = _cab(web)
    refused = vera.post(f"/taken/{task.id}", {
        "actie": "afronden", "advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten.",
        "interventies": "zorg", "afspraken-0-wie": "Anna de Jong", "afspraken-0-wat": "Bellen",
        "afspraken-1-wie": "Bram Jansen",
    })
    assert refused.status_code == 422
    links = _links(_summary(html(refused)))
    assert [target for target, _ in links] == ["f-afspraken-1-wat"]
    assert links[0][1].startswith("Afspraken over de uitvoering, rij 2: Wat: ")


def test_a_refused_reassignment_links_to_its_reason(web):
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    web.service.claim(task.id, "vera")
    vera = web.browser("vera")
    refused = vera.post(f"/taken/{task.id}/overdragen", {"naar": "gina", "reden": "  "})
    assert refused.status_code == 422
    summary = _summary(html(refused))
    assert "De taak is niet overgedragen" in summary
    links = _links(summary)
    assert [target for target, _ in links] == ["reden"] and links[0][1].startswith("Reden: ")


def test_a_refused_new_case_opens_with_the_summary_too(web):
    anna = web.browser("anna")
    assert "foutoverzicht\"" not in html(anna.get("/casussen/nieuw?procedure=p0_consultatie_advies"))
    refused = anna.post("/casussen/nieuw", {"procedure": "p0_consultatie_advies"})
    assert refused.status_code == 422
    page = html(refused)
    summary = _summary(page)
    assert "De casus is nog niet gestart" in summary
    links = _links(summary)
    assert links and all(f'id="{target}"' in page for target, _ in links)
    assert any(target == "f-gemeente" for target, _ in links), links
    assert '<script src="/static/js/foutoverzicht.js" defer></script>' in page
