"""Moving a case within its version (issue 11 s.2): a beheerder ends the open task and lets
another user task of the same (sub)process begin, back (redo) or forward (skip); refusals; the
inbox follows; the event 'verplaatst'; replay and the deploy preview stay identical."""
from __future__ import annotations

import json
from datetime import timedelta
from html import unescape

import pytest
from click.testing import CliRunner

from app.cli import main
from app.engine.move import inside_parallel_branch
from app.service import instances as instances_mod
from app.service.errors import CaseProblem, InvalidInput, PermissionDenied
from app.service.preview import preview_process
from tests.integration.test_migration import P7, P7Case
from tests.web.helpers import build_web, html

MOMENT = {"gesprek_datum": "2026-03-12T10:00",
          "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"},
                         {"naam": "Nina Netwerkpartner", "organisatie": "Veilig Thuis", "rol": "netwerkpartner"}]}
VEILIGHEID = {"veiligheidsinschatting": "Vader kan boos worden.", "veiligheidsmaatregelen": []}


@pytest.fixture
def case(service, clock):
    service.upsert_user("bea", "Bea Beheer", ["beheerder"])
    case = P7Case(service, clock)
    case.to_timer()
    return case


def moves(service, case_id):
    return [e for e in service.case_history(case_id) if e.type == "verplaatst"]


def assert_replays(service, case):
    report = service.replay_case(case.case_id)
    assert report.identical, report.reason
    spec, subs = service.ctx.specs.get(case.instance().process_version)
    with service.ctx.reading() as session:
        preview = preview_process(service.ctx, session, P7, spec, subs)
    assert preview.rows == [], [r.detail for r in preview.rows]


def test_backward_move_redoes_a_completed_task(service, clock, case):
    case.complete("Task_MomentPlannen", MOMENT, "anna")
    (before,) = case.tasks()
    assert before.bpmn_id == "Task_VeiligheidInschatten"
    timer = case.instance().next_timer_at  # P3's target date, in the process around this one

    plan = service.preview_move(case.case_id, case.instance_id, "Task_VeiligheidInschatten", "Task_MomentPlannen",
                                "bea")
    assert plan.richting == "terug"
    assert [t["bpmn_id"] for t in plan.eindigen] == ["Task_VeiligheidInschatten"]
    assert [t["bpmn_id"] for t in plan.beginnen] == ["Task_MomentPlannen"]
    assert case.open_ids() == ["Task_VeiligheidInschatten"] and moves(service, case.case_id) == []

    clock.advance(timedelta(hours=1))
    service.move_case(case.case_id, case.instance_id, "Task_VeiligheidInschatten", "Task_MomentPlannen", "bea",
                      "Gespreksmoment verkeerd gepland")
    assert [t.id for t in case.tasks("cancelled")] == [before.id]
    (again,) = case.tasks()
    assert again.bpmn_id == "Task_MomentPlannen" and again.assignee == "anna"
    assert case.instance().next_timer_at == timer
    (event,) = moves(service, case.case_id)
    assert event.actor == "bea" and event.task_bpmn_id == "Task_MomentPlannen"
    assert {k: event.data[k] for k in ("van", "naar", "richting", "reden")} == {
        "van": "Task_VeiligheidInschatten", "naar": "Task_MomentPlannen", "richting": "terug",
        "reden": "Gespreksmoment verkeerd gepland"}
    assert event.data["eindigen"] == plan.eindigen and event.data["beginnen"] == plan.beginnen
    assert_replays(service, case)

    # The redone step goes on as before.
    case.complete("Task_MomentPlannen", {**MOMENT, "gesprek_datum": "2026-03-19T10:00"}, "anna")
    assert case.open_ids() == ["Task_VeiligheidInschatten"]
    case.complete("Task_VeiligheidInschatten", VEILIGHEID, "anna")
    assert case.open_ids() == ["Task_VoorzitterAfstemmen"]
    assert_replays(service, case)


def test_forward_move_skips_to_a_later_task(service, clock, case):
    case.complete("Task_MomentPlannen", MOMENT, "anna")
    (before,) = case.tasks()
    plan = service.move_case(case.case_id, case.instance_id, "Task_VeiligheidInschatten", "Task_LocatieKiezen",
                             "bea", "Veiligheid en voorzitter zijn buiten het systeem al geregeld")
    assert plan.richting == "vooruit"
    assert [t["bpmn_id"] for t in plan.eindigen] == ["Task_VeiligheidInschatten"]
    assert [t["bpmn_id"] for t in plan.beginnen] == ["Task_LocatieKiezen"]
    assert [t.id for t in case.tasks("cancelled")] == [before.id]
    (after,) = case.tasks()
    assert after.bpmn_id == "Task_LocatieKiezen" and after.id != before.id and after.assignee == "anna"
    assert_replays(service, case)
    case.complete("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"}, "anna")
    assert case.open_ids() == ["Task_OudersEnJeugdigeUitnodigen"]
    assert_replays(service, case)

    (event,) = moves(service, case.case_id)
    assert (event.actor, event.data["richting"], event.data["reden"]) == (
        "bea", "vooruit", "Veiligheid en voorzitter zijn buiten het systeem al geregeld")


@pytest.mark.parametrize("naar, reason", [
    ("Gateway_BeveiligingNodig", "is een gateway"),
    ("StartEvent_GesprekOrganiseren", "is een gebeurtenis"),
    ("Task_VervolgBepalen", "ligt in een ander (deel)proces"),
    ("Task_Bestaat_Niet", "bestaat niet"),
    ("Task_MomentPlannen", "staat al bij deze taak"),
])
def test_refusals_leave_the_case_as_it_was(service, case, naar, reason):
    with pytest.raises(InvalidInput) as exc:
        service.move_case(case.case_id, case.instance_id, "Task_MomentPlannen", naar, "bea", "Proberen")
    assert reason in str(exc.value)
    assert case.open_ids() == ["Task_MomentPlannen"] and moves(service, case.case_id) == []


def test_other_refusals(service, case):
    with pytest.raises(InvalidInput, match="staat niet open"):
        service.preview_move(case.case_id, case.instance_id, "Task_VeiligheidInschatten", "Task_LocatieKiezen", "bea")
    with pytest.raises(InvalidInput, match="reden"):
        service.move_case(case.case_id, case.instance_id, "Task_MomentPlannen", "Task_LocatieKiezen", "bea", " ")
    with pytest.raises(PermissionDenied, match="beheerder"):
        service.move_case(case.case_id, case.instance_id, "Task_MomentPlannen", "Task_LocatieKiezen", "anna", "X")
    with pytest.raises(PermissionDenied):
        service.preview_move(case.case_id, case.instance_id, "Task_MomentPlannen", "Task_LocatieKiezen", "anna")
    assert case.open_ids() == ["Task_MomentPlannen"] and moves(service, case.case_id) == []


def test_a_target_inside_a_parallel_branch_is_recognised(service, case):
    """P0 starts its interventions in parallel branches; its CAB task lies before the split."""
    spec, subs = service.ctx.specs.get(case.instance().process_version)
    p0 = subs["p0_consultatie_advies"]
    assert inside_parallel_branch(p0.task_specs["CallActivity_Zorg"])
    assert not inside_parallel_branch(p0.task_specs["Task_CabHouden"])


def test_cli_dry_run_then_move(service, case, db_url, tmp_path):
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "VHT_INSTANCE_DIR": str(tmp_path)}

    def vht(*args):
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    base = ("move", case.case_id, case.instance_id, "--van", "Task_MomentPlannen", "--as", "bea")
    out = vht(*base, "--naar", "Task_LocatieKiezen", "--dry-run")
    assert out.exit_code == 0, out.output
    assert "Taken die eindigen: Moment plannen in overleg met de netwerkpartners (Task_MomentPlannen)." in out.output
    assert "(Task_LocatieKiezen)" in out.output and "Niets opgeslagen" in out.output
    assert case.open_ids() == ["Task_MomentPlannen"]

    refused = vht(*base, "--naar", "Gateway_BeveiligingNodig", "--reden", "test")
    assert refused.exit_code == 1 and "Niet te verplaatsen" in refused.output and "gateway" in refused.output
    no_reason = vht(*base, "--naar", "Task_LocatieKiezen")
    assert no_reason.exit_code == 1 and "Geef een reden op" in no_reason.output

    done = vht(*base, "--naar", "Task_LocatieKiezen", "--reden", "Al geregeld", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert (data["richting"], data["dry_run"], [t["bpmn_id"] for t in data["beginnen"]]) == (
        "vooruit", False, ["Task_LocatieKiezen"])
    assert case.open_ids() == ["Task_LocatieKiezen"]
    assert "identiek" in vht("replay", case.case_id).output


def test_the_incident_page_previews_then_moves_for_the_beheerder_only(service, clock, case, monkeypatch):
    """A document hook fails when the inbrenger completes 'Moment plannen': an incident at that
    task. The beheerder moves the case past it from the incident page: preview, then confirm."""
    def hook(ctx, session, instance, event, outgoing):
        if event.type == "task_completed" and event.task_bpmn_id == "Task_MomentPlannen":
            raise RuntimeError("het sjabloon kon niet gemaakt worden")

    web = build_web(service, clock)
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, hook])
    with pytest.raises(CaseProblem) as problem:
        case.complete("Task_MomentPlannen", MOMENT, "anna")
    url = f"/beheer/incidenten/{problem.value.incident_id}"
    beheer = web.browser("beheer")
    page = html(beheer.get(url))
    assert "Casus verplaatsen" in page and '<option value="Task_LocatieKiezen">' in page
    assert "Casus verplaatsen" not in html(web.browser("pieter").get(url))  # procesbeheerder: no move
    for who in ("anna", "pieter"):
        response = web.browser(who).post(url + "/verplaatsen", data={
            "van": "Task_MomentPlannen", "naar": "Task_LocatieKiezen", "reden": "x", "bevestigd": "ja"})
        assert response.status_code == 403
    assert case.open_ids() == ["Task_MomentPlannen"]

    refused = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": "Task_MomentPlannen", "naar": "Task_VervolgBepalen"}, follow_redirects=True)))
    assert "Niet te verplaatsen" in refused and "ander (deel)proces" in refused
    preview = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": "Task_MomentPlannen", "naar": "Task_LocatieKiezen"})))
    assert "Taken die eindigen: Moment plannen in overleg met de netwerkpartners (Task_MomentPlannen)." in preview
    assert "Verplaatsen bevestigen" in preview and case.open_ids() == ["Task_MomentPlannen"]
    no_reason = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": "Task_MomentPlannen", "naar": "Task_LocatieKiezen", "bevestigd": "ja"}, follow_redirects=True)))
    assert "Geef een reden op" in no_reason and case.open_ids() == ["Task_MomentPlannen"]
    done = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": "Task_MomentPlannen", "naar": "Task_LocatieKiezen", "bevestigd": "ja",
        "reden": "Moment al gepland; het sjabloon hapert"}, follow_redirects=True)))
    assert "De casus is verplaatst." in done
    assert case.open_ids() == ["Task_LocatieKiezen"]
    (event,) = moves(service, case.case_id)
    assert event.actor == "beheer" and event.data["reden"] == "Moment al gepland; het sjabloon hapert"
    assert service.replay_case(case.case_id).identical
    history = unescape(html(web.browser("anna").get(f"/casussen/{case.case_id}")))
    assert ("Casus verplaatst door de beheerder: van Moment plannen in overleg met de netwerkpartners naar "
            "Locatie") in history
    assert "Reden: Moment al gepland; het sjabloon hapert" in history
