"""The "Gegevens corrigeren" form on /beheer/incidenten/<id>: the beheerder only, the version's form
fields to choose from, Dutch refusals, and the correction in the case's history (replay identical).

The incident is an act whose document hook (AFTER_ACT) raised at the CAB task, as in
test_incident_pages.py; tests/worker/test_corrections.py has the timer that a correction unsticks."""
from __future__ import annotations

from html import unescape

import pytest

from app.service import instances as instances_mod
from app.service.errors import CaseProblem

from .helpers import CAB, html


def _hook(ctx, session, instance, event, outgoing):
    if event.type == "task_completed" and event.task_bpmn_id == "Task_CabHouden":
        raise RuntimeError("het sjabloon kon niet gemaakt worden")


@pytest.fixture
def broken(web, monkeypatch):
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _hook])
    case_id = web.start_case()
    task = web.open_task(case_id, "Task_CabHouden")
    with pytest.raises(CaseProblem) as problem:
        web.service.complete_task(task.id, CAB, "vera")
    return case_id, problem.value.incident_id


def _flash(page: str) -> str:
    start = page.find('class="melding')
    return unescape(page[start:page.find("</", start)]) if start >= 0 else ""


def test_the_beheerder_corrects_a_value_from_the_incident_page(web, broken):
    case_id, incident_id = broken
    url = f"/beheer/incidenten/{incident_id}"
    beheer = web.browser("beheer")
    detail = html(beheer.get(url))
    assert "Gegevens corrigeren" in detail
    assert '<option value="einde_maatregel">' in detail and '<option value="cab_datum">' in detail
    assert '<option value="advies_tekst">' in detail  # a task form's field of the same version
    assert "Gegevens corrigeren" not in html(web.browser("pieter").get(url))  # procesbeheerder: retry only

    for who in ("anna", "pieter"):
        assert web.browser(who).post(url + "/corrigeren", data={"veld": "cab_datum", "waarde": "2026-03-05",
                                                                  "reden": "x"}).status_code == 403
    events_before = len(web.service.case_history(case_id))
    page = html(beheer.post(url + "/corrigeren", data={"veld": "wachtwoord", "waarde": "x", "reden": "test"},
                            follow_redirects=True))
    assert "staat in geen formulier van p0_consultatie_advies" in _flash(page)
    page = html(beheer.post(url + "/corrigeren", data={"veld": "cab_datum", "waarde": "morgen", "reden": "test"},
                            follow_redirects=True))
    assert "De nieuwe waarde voor 'Datum consultatie- en adviesbespreking' is niet geldig" in _flash(page)
    page = html(beheer.post(url + "/corrigeren", data={"veld": "einde_maatregel", "waarde": "2026-12-31",
                                                        "reden": ""}, follow_redirects=True))
    assert "Geef een reden op" in _flash(page)
    assert len(web.service.case_history(case_id)) == events_before  # nothing recorded

    page = html(beheer.post(url + "/corrigeren", data={"veld": "einde_maatregel", "waarde": "2026-12-31",
                                                        "reden": "Einddatum uit de beschikking"},
                            follow_redirects=True))
    assert "'einde_maatregel' is gecorrigeerd naar \"2026-12-31\"" in _flash(page)
    event = web.service.case_history(case_id)[-1]
    assert (event.type, event.actor, event.data["veld"], event.data["na"]) == (
        "gegevens_gecorrigeerd", "beheer", "einde_maatregel", "2026-12-31")
    assert event.data["reden"] == "Einddatum uit de beschikking"
    assert 'einde_maatregel): nu "2026-12-31"' in unescape(page)  # the select shows the new value
    assert web.service.replay_case(case_id).identical
    # The case's history shows the repair apart, with before, after and why (for those who see the case).
    history = unescape(html(web.browser("anna").get(f"/casussen/{case_id}")))
    assert "Gegevens gecorrigeerd door de beheerder: Einddatum maatregel" in history  # the field's label
    assert '<td class="voor">—</td><td class="na">31-12-2026</td>' in history
    assert "Reden: Einddatum uit de beschikking" in history
