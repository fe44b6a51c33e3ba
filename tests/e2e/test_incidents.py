"""In real chromium: the beheerder finds the incident of a case whose act failed (a document hook
that raised, as a letter template that cannot be made does), retries it with a reason once the
cause is gone, and the case goes on; the repair is in the case's history and replay is identical."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.service import instances as instances_mod
from app.service.errors import CaseProblem
from tests.procedures.driver import casus
from tests.web.helpers import CAB, P0

pytestmark = pytest.mark.e2e


def _hook(ctx, session, instance, event, outgoing):
    if event.type == "task_completed" and event.task_bpmn_id == "Task_CabHouden":
        raise RuntimeError("het briefsjabloon kon niet gemaakt worden")


def _login(page, base_url, username):
    page.goto(base_url + "/inloggen")
    page.fill("#gebruikersnaam", username)
    page.fill("#wachtwoord", f"{username}-demo")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/werkbak"))


def test_the_beheerder_sees_the_incident_retries_and_the_case_goes_on(live_server, page, monkeypatch):
    base_url, service = live_server
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _hook])
    case = service.start_case(P0, casus(), "anna")
    (task,) = [t for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_CabHouden"]
    with pytest.raises(CaseProblem) as problem:
        service.complete_task(task.id, CAB, "vera")
    incident_id = problem.value.incident_id

    _login(page, base_url, "beheer")
    page.click("nav >> text=Incidenten")
    row = page.locator(f'tr[data-incident="{incident_id}"]')
    expect(row).to_contain_text(case.referentie)
    expect(row).to_contain_text("het briefsjabloon kon niet gemaakt worden")
    row.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text(f"Incident {incident_id}")
    expect(page.locator("pre.gegevens-json")).to_contain_text("andere_aanpak")  # the data the step saw

    monkeypatch.setattr(instances_mod, "AFTER_ACT", [h for h in instances_mod.AFTER_ACT if h is not _hook])
    page.fill("input[name=reden]", "Briefsjabloon hersteld")
    page.click("text=Opnieuw proberen >> nth=-1")
    expect(page.locator(".melding.succes")).to_contain_text(f"Incident {incident_id} is opgelost")
    expect(page.locator("h1")).not_to_contain_text("probleem")

    service.complete_task(task.id, CAB, "vera")  # the professional submits again: the case goes on
    assert "Task_CabHouden" not in [t.bpmn_id for t in service.tasks(case_id=case.id)]
    history = [e.type for e in service.case_history(case.id)]
    assert history[-2:] == ["reparatie", "task_completed"]
    assert service.replay_case(case.id).identical
