"""The process owner's version list (/beheer/processen/<id>/versies): who, when, why, the cases
on each version, retiring, reinstating and choosing the default; and the comparison of two
versions with the forms, parameters and letters that differ. Only for procesbeheerders."""
from __future__ import annotations

import json
import re

import pytest

from app.service import bundle, deploy

from .helpers import P0, html

P3 = "p3_interventiegesprek"
P3_FILE = "processes/p3_interventiegesprek.bpmn"
P3_FORM = "forms/p3_interventiegesprek_voeren.json"


def deploy_changed(service, reden: str, *, rename: str | None = None, add_field: bool = False,
                   parameters: dict | None = None, actor: str = "pieter"):
    """A new bundle over the deployed one: P3's task renamed, a field added to its form, settings
    changed (straight through deploy_tree, as `vht deploy` does with a changed folder)."""
    tree = service.source_tree()
    changes = {}
    if rename:
        xml = tree.files[P3_FILE]
        changes[P3_FILE] = xml.replace('name="Interventiegesprek voeren"', f'name="{rename}"', 1)
    if add_field:
        form = json.loads(tree.files[P3_FORM])
        form["fields"].append({"name": "extra_opmerking", "type": "long_text", "label": "Extra opmerking", "required": False})
        changes[P3_FORM] = json.dumps(form, ensure_ascii=False, indent=2)
    if parameters:
        changes[bundle.PARAMETERS] = json.dumps({**tree.parameters(), **parameters}, ensure_ascii=False, indent=2)
    with service.ctx.transaction() as session:
        return deploy.deploy_tree(session, tree.overlay(changes), actor, reden, service.ctx.now())


def row(page: str, number: int) -> str:
    match = re.search(rf'<tr id="versie-{number}".*?</tr>', page, re.S)
    assert match, f"no row for version {number}"
    return match.group(0)


def numbers(row_html: str) -> list[str]:
    return re.findall(r'<td class="getal">(\d+)</td>', row_html)


def test_list_shows_versions_newest_first_with_who_why_and_cases(web):
    deploy_changed(web.service, "Naam van de gesprekstaak verduidelijkt", rename="Interventiegesprek leiden")
    pieter = web.browser("pieter")
    response = pieter.get(f"/beheer/processen/{P3}/versies")
    assert response.status_code == 200
    page = html(response)
    assert page.index('id="versie-2"') < page.index('id="versie-1"')
    new, old = row(page, 2), row(page, 1)
    assert "Naam van de gesprekstaak verduidelijkt" in new and "Pieter Dekker" in new
    assert "testopzet" in old
    assert "standaard voor nieuwe casussen" in new and "standaard voor nieuwe casussen" not in old
    # Europe/Amsterdam: the clock's 09:00 (CET) as the page says it
    assert "02-03-2026 09:00" in new
    assert f'href="/beheer/processen/{P3}/modeler?versie=1"' in old
    assert f'action="/beheer/processen/{P3}/versies/vergelijk"' in page
    assert '>Procedures</a>' in page  # the nav item for process owners


def test_open_and_closed_cases_per_version(web):
    web.start_case()
    page = html(web.browser("pieter").get(f"/beheer/processen/{P0}/versies"))
    assert numbers(row(page, 1)) == ["1", "1", "0"]  # version, open, closed


def test_retire_reinstate_and_default(web):
    deploy_changed(web.service, "tweede versie", rename="Interventiegesprek leiden")
    pieter = web.browser("pieter")
    page = html(pieter.get(f"/beheer/processen/{P3}/versies"))
    assert "lopen" in row(page, 2) or "Er lopen nu geen casussen" in row(page, 2)  # the confirmation explains

    response = pieter.post(f"/beheer/processen/{P3}/versies/2/intrekken")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/beheer/processen/{P3}/versies")
    page = html(pieter.get(response.headers["Location"]))
    assert "Versie 2 is ingetrokken" in page and "Lopende casussen op deze versie gaan gewoon door" in page
    assert re.search(r"ingetrokken \(02-03-2026 09:00, Pieter Dekker\)", row(page, 2))
    assert "standaard voor nieuwe casussen" in row(page, 1)
    assert "Weer in gebruik" in row(page, 2) and "Intrekken" not in row(page, 2)
    assert web.service.process_version(P3, 2).ingetrokken_door == "pieter"

    # Retired twice: said in Dutch, nothing changes
    page = html(pieter.post(f"/beheer/processen/{P3}/versies/2/intrekken", follow_redirects=True))
    assert "Versie 2 is al ingetrokken." in page

    page = html(pieter.post(f"/beheer/processen/{P3}/versies/2/weer-in-gebruik", follow_redirects=True))
    assert "Versie 2 is weer in gebruik." in page
    assert "ingetrokken (" not in row(page, 2) and "standaard voor nieuwe casussen" in row(page, 2)

    page = html(pieter.post(f"/beheer/processen/{P3}/versies/1/standaard", follow_redirects=True))
    assert "Nieuwe casussen starten voortaan op versie 1." in page
    assert "standaard voor nieuwe casussen" in row(page, 1) and "standaard voor nieuwe casussen" not in row(page, 2)
    assert "Standaard maken" in row(page, 2) and "Standaard maken" not in row(page, 1)


def test_a_retired_version_cannot_be_the_default(web):
    deploy_changed(web.service, "tweede versie", rename="Interventiegesprek leiden")
    pieter = web.browser("pieter")
    pieter.get(f"/beheer/processen/{P3}/versies")
    pieter.post(f"/beheer/processen/{P3}/versies/1/intrekken")
    page = html(pieter.post(f"/beheer/processen/{P3}/versies/1/standaard", follow_redirects=True))
    assert "Versie 1 is ingetrokken: zet haar eerst terug in gebruik." in page
    assert 'class="melding fout"' in page


def test_actions_without_csrf_token_are_refused(web):
    deploy_changed(web.service, "tweede versie", rename="Interventiegesprek leiden")
    pieter = web.browser("pieter")
    for action in ("intrekken", "standaard", "weer-in-gebruik"):
        response = pieter.post(f"/beheer/processen/{P3}/versies/1/{action}", csrf=False)
        assert response.status_code == 400, action
        response = pieter.post(f"/beheer/processen/{P3}/versies/1/{action}", {"csrf_token": "vervalst"}, csrf=False)
        assert response.status_code == 400, action
    assert web.service.process_version(P3, 1).ingetrokken_op is None
    assert "standaard voor nieuwe casussen" in row(html(pieter.get(f"/beheer/processen/{P3}/versies")), 2)


@pytest.mark.parametrize("username", ["vera", "ahmed", "beheer"])
def test_only_process_owners(web, username):
    deploy_changed(web.service, "tweede versie", rename="Interventiegesprek leiden")
    other = web.browser(username)
    assert other.get(f"/beheer/processen/{P3}/versies").status_code == 403
    assert other.get(f"/beheer/processen/{P3}/versies/vergelijk?van=1&naar=2").status_code == 403
    for action in ("intrekken", "standaard", "weer-in-gebruik"):
        assert other.post(f"/beheer/processen/{P3}/versies/1/{action}").status_code == 403
    assert web.service.process_version(P3, 1).ingetrokken_op is None
    assert ">Procedures</a>" not in html(other.get("/werkbak"))


def test_not_logged_in_goes_to_login(web):
    response = web.browser().get(f"/beheer/processen/{P3}/versies")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_unknown_process_or_version_is_a_dutch_404(web):
    pieter = web.browser("pieter")
    for url in ("/beheer/processen/bestaat_niet/versies",
                "/beheer/processen/bestaat_niet/versies/vergelijk?van=1&naar=2",
                f"/beheer/processen/{P3}/versies/vergelijk?van=1&naar=7"):
        response = pieter.get(url)
        assert response.status_code == 404, url
        assert "Niet gevonden" in html(response) and "bestaat niet" in html(response), url
    response = pieter.post(f"/beheer/processen/{P3}/versies/9/intrekken")
    assert response.status_code == 404 and "Versie 9 van &#39;p3_interventiegesprek&#39; bestaat niet." in html(response)


def test_compare_without_two_versions_goes_back_to_the_list(web):
    pieter = web.browser("pieter")
    response = pieter.get(f"/beheer/processen/{P3}/versies/vergelijk?van=1")
    assert response.status_code == 302
    assert "Kies twee versies om te vergelijken." in html(pieter.get(response.headers["Location"]))


def test_compare_page_lists_changed_forms_fields_and_parameters(web):
    deploy_changed(web.service, "Extra veld en kortere streeftermijn", rename="Interventiegesprek leiden",
                   add_field=True, parameters={"streeftermijn_gesprek_dagen": 10})
    pieter = web.browser("pieter")
    response = pieter.get(f"/beheer/processen/{P3}/versies/vergelijk?van=1&naar=2")
    assert response.status_code == 200
    page = html(response)
    # The diagrams come from the .bpmn URLs via data attributes, for the bundled script (no inline script)
    assert f'data-xml-a="/beheer/processen/{P3}/versies/1.bpmn"' in page
    assert f'data-xml-b="/beheer/processen/{P3}/versies/2.bpmn"' in page
    assert "/static/build/versions.js" in page and "<script>" not in page
    assert all(word in page for word in ("toegevoegd (rechts)", "verwijderd (links)", "gewijzigd (beide)"))
    forms = re.search(r'<ul id="formulier-wijzigingen">.*?</ul>\s*</li>\s*</ul>', page, re.S).group(0)
    assert "p3_interventiegesprek_voeren" in forms and "velden toegevoegd: <code>extra_opmerking</code>" in forms
    assert "velden verwijderd" not in forms
    params = re.search(r'<table id="parameter-wijzigingen".*?</table>', page, re.S).group(0)
    assert "streeftermijn_gesprek_dagen" in params and ">14<" in params and ">10<" in params
    assert "werkdagen_definitieve_vk" not in params
    # The .bpmn the page fetches is each version's own diagram
    assert 'name="Interventiegesprek leiden"' in html(pieter.get(f"/beheer/processen/{P3}/versies/2.bpmn"))
    assert 'name="Interventiegesprek leiden"' not in html(pieter.get(f"/beheer/processen/{P3}/versies/1.bpmn"))


def test_compare_page_says_when_the_bundle_is_equal(web):
    deploy_changed(web.service, "alleen een naam", rename="Interventiegesprek leiden")
    page = html(web.browser("pieter").get(f"/beheer/processen/{P3}/versies/vergelijk?van=2&naar=1"))
    assert 'id="bundel-gelijk"' in page
    assert "formulier-wijzigingen" not in page and "parameter-wijzigingen" not in page
