"""In real chromium: the beheerder finds the incident of a case whose act failed (a document hook
that raised, as a letter template that cannot be made does), retries it with a reason once the
cause is gone, and the case goes on; the repair is in the case's history and replay is identical.

And issue 11's "Done when" browser test: a case stuck on the timer half an hour before the
conversation, because its gesprek_datum is in a format the deadline of the next task cannot read,
is unstuck by the beheerder correcting the value on the incident page and retrying."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.service import instances as instances_mod
from app.service.errors import CaseProblem
from persistence.models import ProcessInstance
from tests.procedures.driver import casus
from tests.procedures.gesprek_steps import (at, organiseren, reactie_ontvangen, reactie_vragen, start_through_p0,
                                            vk_versturen)
from tests.web.helpers import CAB, P0
from tests.e2e.session import log_in

pytestmark = pytest.mark.e2e


def _hook(ctx, session, instance, event, outgoing):
    if event.type == "task_completed" and event.task_bpmn_id == "Task_CabHouden":
        raise RuntimeError("het briefsjabloon kon niet gemaakt worden")


def _give_reason(page):
    """The beheerder takes no part in the case: the reason of access first (NEN 7513), once per session."""
    expect(page.locator("h1")).to_contain_text("Reden van inzage")
    page.get_by_role("radio", name="Incident of calamiteit").check()
    page.click("form.reden-inzage button[type=submit]")


def test_the_beheerder_sees_the_incident_retries_and_the_case_goes_on(live_server, page, monkeypatch):
    base_url, service = live_server
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, _hook])
    case = service.start_case(P0, casus(), "anna")
    (task,) = [t for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_CabHouden"]
    with pytest.raises(CaseProblem) as problem:
        service.complete_task(task.id, CAB, "vera")
    incident_id = problem.value.incident_id

    log_in(page, base_url, "beheer")
    page.click("nav >> text=Incidenten")
    row = page.locator(f'tr[data-incident="{incident_id}"]')
    expect(row).to_contain_text(case.referentie)
    expect(row).to_contain_text("het briefsjabloon kon niet gemaakt worden")
    row.locator("a").first.click()
    _give_reason(page)
    expect(page.locator("h1")).to_contain_text(f"Incident {incident_id}")
    expect(page.locator("pre.gegevens-json")).to_contain_text("andere_aanpak")  # the data the step saw

    monkeypatch.setattr(instances_mod, "AFTER_ACT", [h for h in instances_mod.AFTER_ACT if h is not _hook])
    retry = page.locator("form[action$='/opnieuw']")  # the page also has the correction form
    retry.locator("input[name=reden]").fill("Briefsjabloon hersteld")
    retry.locator("button").click()
    expect(page.locator(".melding.succes")).to_contain_text(f"Incident {incident_id} is opgelost")
    expect(page.locator("h1")).not_to_contain_text("probleem")

    service.complete_task(task.id, CAB, "vera")  # the professional submits again: the case goes on
    assert "Task_CabHouden" not in [t.bpmn_id for t in service.tasks(case_id=case.id)]
    history = [e.type for e in service.case_history(case.id)]
    assert history[-2:] == ["reparatie", "task_completed"]
    assert service.replay_case(case.id).identical


def test_the_beheerder_corrects_a_value_retries_and_the_stuck_timer_moves_the_case_on(clock_live_server, page):
    base_url, service, clock = clock_live_server
    case = start_through_p0(service, clock, "interventiegesprek")
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)  # now waiting for the timer half an hour before the conversation
    # The conversation's moment as an import wrote it (Dutch notation), straight into the stored state.
    instance = next(i for i in service.case(case.case_id).instances if i.status == "running" and i.next_timer_at)
    with service.ctx.transaction() as session:
        state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance.id))
        new = state.replace('"gesprek_datum": "2026-03-12T10:00+01:00"', '"gesprek_datum": "12-03-2026 10:00"')
        assert new != state
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id).values(state=new))
    clock.set(at(2026, 3, 12, 9, 30) + timedelta(seconds=1))
    (failed,) = [r for r in service.fire_due_timers() if r.error]
    assert "de beheerder is ingelicht" in failed.error
    assert case.open_ids() == []  # stuck: nothing opened

    log_in(page, base_url, "beheer")
    page.click("nav >> text=Incidenten")
    (incident,) = [r.incident for r in service.incidents("beheer")]
    row = page.locator(f'tr[data-incident="{incident.id}"]')
    expect(row).to_contain_text("termijn")
    row.locator("a").first.click()
    _give_reason(page)
    expect(page.locator("pre.gegevens-json")).to_contain_text("12-03-2026 10:00")

    correction = page.locator("form.correctie")
    correction.locator("select[name=veld]").select_option("gesprek_datum")
    correction.locator("input[name=waarde]").fill("2026-03-12T10:00")
    correction.locator("input[name=reden]").fill("Datum in Nederlandse notatie uit de import")
    correction.locator("button").click()
    expect(page.locator(".melding.succes")).to_contain_text("'gesprek_datum' is gecorrigeerd")
    expect(page.locator("h1")).to_contain_text("probleem")  # corrected, not yet retried

    retry = page.locator("form[action$='/opnieuw']")
    retry.locator("input[name=reden]").fill("Gespreksdatum gecorrigeerd")
    retry.locator("button").click()
    expect(page.locator(".melding.succes")).to_contain_text(f"Incident {incident.id} is opgelost")
    expect(page.locator("h1")).not_to_contain_text("probleem")

    assert case.open_ids() == ["Task_InterventiegesprekVoeren", "Task_Voorbespreking"]  # the case moved on
    history = [e.type for e in service.case_history(case.case_id)]
    assert history.index("gegevens_gecorrigeerd") < history.index("reparatie")
    report = service.replay_case(case.case_id)
    assert report.identical, report.reason
