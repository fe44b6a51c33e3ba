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
UITNODIGING = {"uitnodiging_verstuurd_op": "2026-03-03", "uitnodiging_doel": "Samen praten over de zorgen.",
               "recht_vertrouwenspersoon_vermeld": True}
AFSPRAKEN = {"jeugdige_aanwezig_moment": "Het tweede half uur", "jeugdige_apart_spreken": "Vooraf, door Nina"}
UITNODIGEN, JEUGDIGE = "Task_OudersEnJeugdigeUitnodigen", "Task_JeugdigeAfspraken"


def organised(case) -> None:
    """The moment, the safety with the chair and the location (side by side) done: the invitation is
    the only open step of the sub-process, so it can be moved."""
    case.complete("Task_MomentPlannen", MOMENT, "anna")
    case.complete("Task_VeiligheidInschatten", VEILIGHEID, "anna")
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"}, "anna")
    case.complete("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"}, "anna")
    assert case.open_ids() == [UITNODIGEN]


@pytest.fixture
def case(service, clock):
    service.upsert_user("bea", "Bea Beheer", ["beheerder"])
    case = P7Case(service, clock)
    case.to_timer()
    organised(case)
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
    case.complete(UITNODIGEN, UITNODIGING, "anna")
    (before,) = case.tasks()
    assert before.bpmn_id == JEUGDIGE
    timer = case.instance().next_timer_at  # P3's target date, in the process around this one

    plan = service.preview_move(case.case_id, case.instance_id, JEUGDIGE, UITNODIGEN, "bea")
    assert plan.richting == "terug"
    assert [t["bpmn_id"] for t in plan.eindigen] == [JEUGDIGE]
    assert [t["bpmn_id"] for t in plan.beginnen] == [UITNODIGEN]
    assert case.open_ids() == [JEUGDIGE] and moves(service, case.case_id) == []

    clock.advance(timedelta(hours=1))
    service.move_case(case.case_id, case.instance_id, JEUGDIGE, UITNODIGEN, "bea",
                      "Uitnodiging met de verkeerde tijd verstuurd")
    assert [t.id for t in case.tasks("cancelled")] == [before.id]
    (again,) = case.tasks()
    assert again.bpmn_id == UITNODIGEN and again.assignee == "anna"
    assert case.instance().next_timer_at == timer
    (event,) = moves(service, case.case_id)
    assert event.actor == "bea" and event.task_bpmn_id == UITNODIGEN
    assert {k: event.data[k] for k in ("van", "naar", "richting", "reden")} == {
        "van": JEUGDIGE, "naar": UITNODIGEN, "richting": "terug",
        "reden": "Uitnodiging met de verkeerde tijd verstuurd"}
    assert event.data["eindigen"] == plan.eindigen and event.data["beginnen"] == plan.beginnen
    assert_replays(service, case)

    # The redone step goes on as before.
    case.complete(UITNODIGEN, {**UITNODIGING, "uitnodiging_verstuurd_op": "2026-03-04"}, "anna")
    assert case.open_ids() == [JEUGDIGE]
    case.complete(JEUGDIGE, AFSPRAKEN, "nina")
    assert case.open_ids() == ["Task_ReactieOudersVragen"]
    assert_replays(service, case)


def test_forward_move_skips_to_a_later_task(service, clock, case):
    (before,) = case.tasks()
    plan = service.move_case(case.case_id, case.instance_id, UITNODIGEN, JEUGDIGE,
                             "bea", "De uitnodiging is buiten het systeem al verstuurd")
    assert plan.richting == "vooruit"
    assert [t["bpmn_id"] for t in plan.eindigen] == [UITNODIGEN]
    assert [t["bpmn_id"] for t in plan.beginnen] == [JEUGDIGE]
    assert [t.id for t in case.tasks("cancelled")] == [before.id]
    (after,) = case.tasks()
    assert after.bpmn_id == JEUGDIGE and after.id != before.id
    assert_replays(service, case)
    case.complete(JEUGDIGE, AFSPRAKEN, "nina")
    assert case.open_ids() == ["Task_ReactieOudersVragen"]
    assert_replays(service, case)

    (event,) = moves(service, case.case_id)
    assert (event.actor, event.data["richting"], event.data["reden"]) == (
        "bea", "vooruit", "De uitnodiging is buiten het systeem al verstuurd")


def test_no_move_while_the_organising_steps_run_side_by_side(service, clock):
    """Moment, safety and location run in parallel branches: a move would leave the join waiting
    for a branch that never comes (or run one twice), so it is refused with the reason."""
    service.upsert_user("bea", "Bea Beheer", ["beheerder"])
    case = P7Case(service, clock)
    case.to_timer()
    with pytest.raises(InvalidInput, match="lopen nog andere takken"):
        service.move_case(case.case_id, case.instance_id, "Task_MomentPlannen", "Task_LocatieKiezen", "bea", "X")
    organised(case)
    with pytest.raises(InvalidInput, match="ligt in een parallelle tak"):
        service.move_case(case.case_id, case.instance_id, UITNODIGEN, "Task_MomentPlannen", "bea", "X")
    assert case.open_ids() == [UITNODIGEN] and moves(service, case.case_id) == []


@pytest.mark.parametrize("naar, reason", [
    ("Gateway_JeugdigeUitgenodigd", "is een gateway"),
    ("StartEvent_GesprekOrganiseren", "is een gebeurtenis"),
    ("Task_VervolgBepalen", "ligt in een ander (deel)proces"),
    ("Task_Bestaat_Niet", "bestaat niet"),
    (UITNODIGEN, "staat al bij deze taak"),
])
def test_refusals_leave_the_case_as_it_was(service, case, naar, reason):
    with pytest.raises(InvalidInput) as exc:
        service.move_case(case.case_id, case.instance_id, UITNODIGEN, naar, "bea", "Proberen")
    assert reason in str(exc.value)
    assert case.open_ids() == [UITNODIGEN] and moves(service, case.case_id) == []


def test_other_refusals(service, case):
    with pytest.raises(InvalidInput, match="staat niet open"):
        service.preview_move(case.case_id, case.instance_id, JEUGDIGE, UITNODIGEN, "bea")
    with pytest.raises(InvalidInput, match="reden"):
        service.move_case(case.case_id, case.instance_id, UITNODIGEN, JEUGDIGE, "bea", " ")
    with pytest.raises(PermissionDenied, match="beheerder"):
        service.move_case(case.case_id, case.instance_id, UITNODIGEN, JEUGDIGE, "anna", "X")
    with pytest.raises(PermissionDenied):
        service.preview_move(case.case_id, case.instance_id, UITNODIGEN, JEUGDIGE, "anna")
    assert case.open_ids() == [UITNODIGEN] and moves(service, case.case_id) == []


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

    base = ("move", case.case_id, case.instance_id, "--van", UITNODIGEN, "--as", "bea")
    out = vht(*base, "--naar", JEUGDIGE, "--dry-run")
    assert out.exit_code == 0, out.output
    assert f"Taken die eindigen: Ouders en jeugdige uitnodigen ({UITNODIGEN})." in out.output
    assert f"({JEUGDIGE})" in out.output and "Niets opgeslagen" in out.output
    assert case.open_ids() == [UITNODIGEN]

    refused = vht(*base, "--naar", "Gateway_JeugdigeUitgenodigd", "--reden", "test")
    assert refused.exit_code == 1 and "Niet te verplaatsen" in refused.output and "gateway" in refused.output
    no_reason = vht(*base, "--naar", JEUGDIGE)
    assert no_reason.exit_code == 1 and "Geef een reden op" in no_reason.output

    done = vht(*base, "--naar", JEUGDIGE, "--reden", "Al geregeld", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert (data["richting"], data["dry_run"], [t["bpmn_id"] for t in data["beginnen"]]) == (
        "vooruit", False, [JEUGDIGE])
    assert case.open_ids() == [JEUGDIGE]
    assert "identiek" in vht("replay", case.case_id).output


def test_the_incident_page_previews_then_moves_for_the_beheerder_only(service, clock, case, monkeypatch):
    """A document hook fails when the inbrenger completes 'Ouders en jeugdige uitnodigen': an
    incident at that task. The beheerder moves the case past it from the incident page: preview,
    then confirm."""
    def hook(ctx, session, instance, event, outgoing):
        if event.type == "task_completed" and event.task_bpmn_id == UITNODIGEN:
            raise RuntimeError("het sjabloon kon niet gemaakt worden")

    web = build_web(service, clock)
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, hook])
    with pytest.raises(CaseProblem) as problem:
        case.complete(UITNODIGEN, UITNODIGING, "anna")
    url = f"/beheer/incidenten/{problem.value.incident_id}"
    beheer = web.browser("beheer")
    page = html(beheer.get(url))
    assert "Casus verplaatsen" in page and f'<option value="{JEUGDIGE}">' in page
    assert "Casus verplaatsen" not in html(web.browser("pieter").get(url))  # procesbeheerder: no move
    for who in ("anna", "pieter"):
        response = web.browser(who).post(url + "/verplaatsen", data={
            "van": UITNODIGEN, "naar": JEUGDIGE, "reden": "x", "bevestigd": "ja"})
        assert response.status_code == 403
    assert case.open_ids() == [UITNODIGEN]

    refused = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": UITNODIGEN, "naar": "Task_VervolgBepalen"}, follow_redirects=True)))
    assert "Niet te verplaatsen" in refused and "ander (deel)proces" in refused
    preview = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": UITNODIGEN, "naar": JEUGDIGE})))
    assert f"Taken die eindigen: Ouders en jeugdige uitnodigen ({UITNODIGEN})." in preview
    assert "Verplaatsen bevestigen" in preview and case.open_ids() == [UITNODIGEN]
    no_reason = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": UITNODIGEN, "naar": JEUGDIGE, "bevestigd": "ja"}, follow_redirects=True)))
    assert "Geef een reden op" in no_reason and case.open_ids() == [UITNODIGEN]
    done = unescape(html(beheer.post(url + "/verplaatsen", data={
        "van": UITNODIGEN, "naar": JEUGDIGE, "bevestigd": "ja",
        "reden": "Al uitgenodigd; het sjabloon hapert"}, follow_redirects=True)))
    assert "De casus is verplaatst." in done
    assert case.open_ids() == [JEUGDIGE]
    (event,) = moves(service, case.case_id)
    assert event.actor == "beheer" and event.data["reden"] == "Al uitgenodigd; het sjabloon hapert"
    assert service.replay_case(case.case_id).identical
    history = unescape(html(web.browser("anna").get(f"/casussen/{case.case_id}")))
    assert ("Casus verplaatst door de beheerder: van Ouders en jeugdige uitnodigen naar "
            "Afspreken wanneer de jeugdige") in history
    assert "Reden: Al uitgenodigd; het sjabloon hapert" in history
