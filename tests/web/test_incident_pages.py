"""The incident pages: /beheer/incidenten for the beheerder and the procesbeheerder, the retry
with its reason, the "probleem" badge on the case page and the werkbak, the API's casus_probleem,
and `vht incidents` / `vht incident-retry`.

The failure is a document hook (AFTER_ACT) that raises at the CAB task's completion, as a letter
template that cannot be rendered does (tests/worker/test_incidents.py has the timer incidents)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.service import instances as instances_mod
from app.service.errors import CaseProblem

from tests.conftest import FORMS, PROCESSES

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
    return case_id, task, problem.value.incident_id


def test_the_pages_list_and_show_the_incident_by_role(web, broken):
    case_id, task, incident_id = broken
    reference = web.service.case(case_id).referentie
    assert web.browser("anna").get("/beheer/incidenten").status_code == 403
    assert web.browser("anna").get(f"/beheer/incidenten/{incident_id}").status_code == 403
    assert web.browser().get("/beheer/incidenten").status_code == 302  # not logged in
    beheer, pieter = web.browser("beheer"), web.browser("pieter")
    listing = html(beheer.get("/beheer/incidenten"))
    assert f'data-incident="{incident_id}"' in listing and reference in listing
    assert "het sjabloon kon niet gemaakt worden" in listing and "taak afronden" in listing
    assert f'href="/casussen/{case_id}"' not in listing  # the beheerder is not involved: reference only
    assert f'data-incident="{incident_id}"' not in html(beheer.get("/beheer/incidenten?soort=timer"))
    assert f'data-incident="{incident_id}"' not in html(beheer.get("/beheer/incidenten?status=opgelost"))
    assert f'data-incident="{incident_id}"' in html(pieter.get("/beheer/incidenten?procedure=p0_consultatie_advies"))
    assert beheer.get("/beheer/incidenten/9999").status_code == 404

    detail = html(beheer.get(f"/beheer/incidenten/{incident_id}"))
    assert "Task_CabHouden" in detail and "Opnieuw proberen" in detail
    assert "Zorg inzetten en een interventiegesprek voeren." in detail  # data_seen, for the beheerder
    owner = html(pieter.get(f"/beheer/incidenten/{incident_id}"))
    assert "advies_tekst" in owner and "Zorg inzetten en een interventiegesprek voeren." not in owner


def test_badge_task_page_message_retry_and_cli(web, broken, monkeypatch):
    case_id, task, incident_id = broken
    vera = web.browser("vera")
    assert "probleem</span>" in html(vera.get(f"/casussen/{case_id}"))
    # The API: a structured error with the incident; a recurrence counts up.
    token = web.service.issue_token("vera")
    answer = web.app.test_client().post(f"/api/tasks/{task.id}/complete", json=CAB,
                                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["code"] == "casus_probleem" and answer.get_json()["incident"] == incident_id
    assert "de beheerder is ingelicht" in answer.get_json()["bericht"] and "sjabloon" not in answer.get_json()["bericht"]
    assert web.service.incident("beheer", incident_id).incident.count == 2

    row = html(vera.get("/werkbak?tab=rol"))
    assert 'class="label verlopen probleem"' in row

    from app.cli import main

    env = {"DATABASE_URL": str(web.service.engine.url), "VHT_PROCESSES_DIR": str(PROCESSES),
           "VHT_FORMS_DIR": str(FORMS)}
    result = CliRunner().invoke(main, ["incidents", "--json"], env=env)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["id"] == incident_id and row["element_id"] == "Task_CabHouden" and row["soort"] == "act"
    assert row["status"] == "open" and row["gegevens"]["advies_type"] == "andere_aanpak"
    refused = CliRunner().invoke(main, ["incident-retry", str(incident_id), "--as", "anna", "--reden", "x"], env=env)
    assert refused.exit_code != 0 and "beheerder" in refused.output

    refused = web.browser("beheer").post(f"/beheer/incidenten/{incident_id}/opnieuw", data={"reden": ""})
    assert refused.status_code == 302 and web.service.incidents("beheer")[0].incident.status == "open"
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [h for h in instances_mod.AFTER_ACT if h is not _hook])
    done = web.browser("beheer").post(f"/beheer/incidenten/{incident_id}/opnieuw", data={"reden": "sjabloon hersteld"})
    assert done.status_code == 302
    assert web.service.incidents("beheer") == []
    result = CliRunner().invoke(main, ["incidents", "--status", "opgelost"], env=env)
    assert result.exit_code == 0 and "1 incident(en)" in result.output and "opgelost" in result.output
    assert "probleem</span>" not in html(vera.get(f"/casussen/{case_id}"))
    web.service.complete_task(task.id, CAB, "vera")  # submitted again: the case goes on
    assert web.service.replay_case(case_id).identical
