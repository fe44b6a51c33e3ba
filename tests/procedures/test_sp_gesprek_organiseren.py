"""Organising the conversation (sp_gesprek_organiseren) and the dates of the start forms, through
the service layer on SQLite and PostgreSQL: the moment, the safety with the chair, and the location
are organised side by side and the invitation waits for all three; a jeugdige of the age limit is
always invited (an exception only where the region switched it on, with a reason in the history),
and dates that make no sense are refused at the form with a Dutch message at the field.
Clock: Monday 2 March 2026 09:00; cab_datum 2026-03-02."""
import pytest

from app.service.errors import InvalidInput

pytest.register_assert_rewrite(f"{__package__}.gesprek_steps")

from .driver import CaseDriver, casus  # noqa: E402
from .gesprek_steps import (  # noqa: E402
    ORGANISEREN_TEGELIJK,
    at,
    gesprek_voeren,
    organiseren,
    reactie_vragen,
    start_through_p0,
    vk_versturen,
    voorbespreking,
    zonder_reactie,
)
from tests.conftest import deploy_settings

P3 = "interventiegesprek"
DEELNEMERS = [{"naam": "Petra de Vries", "rol": "ouder"}]
UITNODIGING = {"uitnodiging_verstuurd_op": "2026-03-03", "uitnodiging_doel": "Praten.",
               "recht_vertrouwenspersoon_vermeld": True}


def refused(call) -> dict:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.errors


def plan(case: CaseDriver, gesprek_datum: str, **extra):
    return case.complete("Task_MomentPlannen", {"gesprek_datum": gesprek_datum, "deelnemers": DEELNEMERS, **extra})


def until_invitation(case: CaseDriver) -> None:
    plan(case, "2026-03-12T10:00")
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []})
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"})
    case.complete("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"})
    assert case.open_ids() == ["Task_OudersEnJeugdigeUitnodigen"]


def seen_by(case: CaseDriver, bpmn_id: str) -> dict:
    """The case data the open task works with (what its form and letters read)."""
    from app.service import task_page
    with case.service.ctx.reading() as session:
        return task_page.task_data(case.service.ctx, session, case.task(bpmn_id), case.case())


# --- 0. the organising steps side by side ----------------------------------------------------------

def test_moment_safety_and_location_are_offered_together_and_the_invitation_waits_for_all(service, clock):
    """DOMAIN section 7: a parallel split into the moment, the safety assessment followed by the
    chair (one branch: an independent chair as safety measure rules out the inbrenger as chair), and
    the location; a parallel join before the invitation. All three are in the inbrenger's inbox at
    once and can be done in any order; the invitation appears only when the last one is done, and
    it sees the answers of every branch."""
    case = start_through_p0(service, clock, P3)
    assert case.open_ids() == ORGANISEREN_TEGELIJK
    assert {case.task(t).assignee for t in ORGANISEREN_TEGELIJK} == {"anna"}
    case.complete("Task_LocatieKiezen", {"locatie_type": "zorg_en_veiligheidshuis", "ruimte": "Kamer 4"})
    assert case.open_ids() == ["Task_MomentPlannen", "Task_VeiligheidInschatten"]
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Dreiging.",
                                                "veiligheidsmaatregelen": ["onafhankelijk_voorzitter"]})
    assert case.open_ids() == ["Task_MomentPlannen", "Task_VoorzitterAfstemmen"]
    assert "inbrenger" not in service.task_form(case.task("Task_VoorzitterAfstemmen")).field(
        "voorzitter_type").option_values
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "onafhankelijk"})
    case.complete("Task_OnafhankelijkVoorzitterRegelen", {"voorzitter_soort": "procesregisseur",
                                                          "voorzitter_naam": "Victor Voorzitter"})
    # Safety, chair and location done: no invitation while the moment is not planned.
    assert case.open_ids() == ["Task_MomentPlannen"]
    plan(case, "2026-03-12T10:00")
    assert case.open_ids() == ["Task_OudersEnJeugdigeUitnodigen"]
    seen = seen_by(case, "Task_OudersEnJeugdigeUitnodigen")
    assert seen["gesprek_datum"].startswith("2026-03-12T10:00")
    assert seen["deelnemers"] == DEELNEMERS
    assert (seen["veiligheidsmaatregelen"], seen["voorzitter_type"], seen["voorzitter_naam"]) == (
        ["onafhankelijk_voorzitter"], "onafhankelijk", "Victor Voorzitter")
    assert (seen["locatie_type"], seen["ruimte"]) == ("zorg_en_veiligheidshuis", "Kamer 4")
    case.assert_replays()


def test_planning_again_the_new_answers_of_every_branch_win(service, clock):
    """The parents did not come: organising again starts with the earlier answers in the case, and
    every branch starts from them. After the join the invitation sees each branch's new answer,
    whichever branch finished last (not an earlier answer that a later branch carried along)."""
    case = start_through_p0(service, clock, P3)
    organiseren(case, "2026-03-12T10:00", maatregelen=("onafhankelijk_voorzitter",), voorzitter="onafhankelijk")
    reactie_vragen(case)
    zonder_reactie(case, at(2026, 3, 9))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0), voorzitter="onafhankelijk")
    gesprek_voeren(case, ouders_aanwezig=False, besluit="opnieuw_plannen")
    assert case.open_ids() == ORGANISEREN_TEGELIJK
    assert seen_by(case, "Task_LocatieKiezen")["gesprek_datum"].startswith("2026-03-12T10:00")
    plan(case, "2026-03-26T10:00", deelnemers=[{"naam": "Mark de Vries", "rol": "ouder"}])
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []})
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"})
    assert case.open_ids() == ["Task_LocatieKiezen"]
    case.complete("Task_LocatieKiezen", {"locatie_type": "veilig_thuis_kantoor", "ruimte": "Zaal 1"})
    assert case.open_ids() == ["Task_OudersEnJeugdigeUitnodigen"]
    seen = seen_by(case, "Task_OudersEnJeugdigeUitnodigen")
    assert seen["gesprek_datum"].startswith("2026-03-26T10:00")
    assert seen["deelnemers"] == [{"naam": "Mark de Vries", "rol": "ouder"}]
    assert (seen["veiligheidsmaatregelen"], seen["voorzitter_type"]) == ([], "inbrenger")
    assert (seen["locatie_type"], seen["ruimte"]) == ("veilig_thuis_kantoor", "Zaal 1")
    case.assert_replays()


def test_a_correction_reaches_a_branch_that_already_finished(service, clock):
    """The beheerder corrects the date while the other branches still run: the moment branch is
    done (its data waits at the join), so the correction is written there too and the invitation
    sees the corrected date, not the one the branch ended with."""
    case = start_through_p0(service, clock, P3)
    plan(case, "2026-03-12T10:00")
    case.complete("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"})
    instance_id = case.instance().id
    service.upsert_user("bea", "Bea Beheer", ["beheerder"])
    service.correct_data(case.case_id, instance_id, "gesprek_datum", "2026-03-13T11:00", "bea", "Typfout")
    (event,) = [e for e in service.case_history(case.case_id) if e.type == "gegevens_gecorrigeerd"]
    assert "2026-03-12T10:00" in str(event.data)  # the value before, as the finished branch held it
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []})
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"})
    assert seen_by(case, "Task_OudersEnJeugdigeUitnodigen")["gesprek_datum"].startswith("2026-03-13T11:00")
    case.assert_replays()


# --- 1. a jeugdige of the age limit is always invited ----------------------------------------------

def test_the_invite_task_cannot_drop_a_jeugdige_of_eight_or_older(service, clock):
    """Before: 'Is de jeugdige uitgenodigd? nee' skipped Sam (10). Now the form has no such answer
    and the regional exception, off by default, is refused with a message naming the choice."""
    case = start_through_p0(service, clock, P3)
    until_invitation(case)
    errors = refused(lambda: case.complete("Task_OudersEnJeugdigeUitnodigen", {
        **UITNODIGING, "jeugdige_niet_uitnodigen": True, "reden_jeugdige_niet_uitgenodigd": "Wil niet."}))
    assert "jeugdige_niet_uitnodigen_toegestaan" in errors["jeugdige_niet_uitnodigen"][0]
    assert "staat uit" in errors["jeugdige_niet_uitnodigen"][0]
    assert "jeugdige_uitgenodigd" in refused(lambda: case.complete(
        "Task_OudersEnJeugdigeUitnodigen", {**UITNODIGING, "jeugdige_uitgenodigd": False}))
    case.complete("Task_OudersEnJeugdigeUitnodigen", UITNODIGING)
    assert case.open_ids() == ["Task_JeugdigeAfspraken"]  # the netwerkpartner agrees when Sam joins
    case.assert_replays()


def test_where_the_region_allows_the_exception_a_reason_is_required_and_kept_in_the_history(service, clock):
    deploy_settings(service, jeugdige_niet_uitnodigen_toegestaan=True)  # copied into the case at its start
    case = start_through_p0(service, clock, P3)
    until_invitation(case)
    errors = refused(lambda: case.complete("Task_OudersEnJeugdigeUitnodigen",
                                           {**UITNODIGING, "jeugdige_niet_uitnodigen": True}))
    assert errors == {"reden_jeugdige_niet_uitgenodigd": ["Dit veld is verplicht."]}
    assert "jeugdige_niet_uitnodigen" in refused(lambda: case.complete("Task_OudersEnJeugdigeUitnodigen", UITNODIGING))
    case.complete("Task_OudersEnJeugdigeUitnodigen", {**UITNODIGING, "jeugdige_niet_uitnodigen": True,
                                                      "reden_jeugdige_niet_uitgenodigd": "Sam is opgenomen."})
    assert case.open_ids() == ["Task_ReactieOudersVragen"]
    (event,) = [e for e in service.case_history(case.case_id) if e.task_bpmn_id == "Task_OudersEnJeugdigeUitnodigen"]
    assert event.data["data"]["reden_jeugdige_niet_uitgenodigd"] == "Sam is opgenomen."
    case.assert_replays()


def test_with_the_exception_allowed_the_inbrenger_may_still_invite(service, clock):
    deploy_settings(service, jeugdige_niet_uitnodigen_toegestaan=True)
    case = start_through_p0(service, clock, P3)
    organiseren(case, "2026-03-12T10:00", jeugdige="niet_uitgenodigd")
    other = start_through_p0(service, clock, P3)
    until_invitation(other)
    other.complete("Task_OudersEnJeugdigeUitnodigen", {**UITNODIGING, "jeugdige_niet_uitnodigen": False})
    assert other.open_ids() == ["Task_JeugdigeAfspraken"]


# --- 2. the conversation date ------------------------------------------------------------------------

@pytest.mark.parametrize("gesprek_datum, message", [
    ("2026-03-02T08:30", "maandag 2 maart 2026 om 08:30) ligt in het verleden"),  # earlier today
    ("2026-02-27T10:00", "ligt in het verleden"),
    ("2026-03-07T10:00", "Zaterdag 7 maart 2026 is geen werkdag (weekend)"),
    ("2026-04-06T10:00", "Maandag 6 april 2026 is geen werkdag (feestdag: Tweede Paasdag)"),
    ("2026-04-27T10:00", "(feestdag: Koningsdag)"),
])
def test_a_conversation_date_that_makes_no_sense_is_refused_at_the_field(service, clock, gesprek_datum, message):
    case = start_through_p0(service, clock, P3)
    errors = refused(lambda: plan(case, gesprek_datum))
    assert list(errors) == ["gesprek_datum"]
    assert message in " ".join(errors["gesprek_datum"])
    assert case.open_ids() == ORGANISEREN_TEGELIJK  # nothing saved


def test_a_weekend_or_holiday_is_allowed_with_an_explicit_confirmation(service, clock):
    case = start_through_p0(service, clock, P3)
    errors = refused(lambda: plan(case, "2026-04-06T10:00", gesprek_datum_geen_werkdag_bevestigd=False))
    assert "bevestig hieronder" in errors["gesprek_datum"][0]
    plan(case, "2026-04-06T10:00", gesprek_datum_geen_werkdag_bevestigd=True)
    assert case.open_ids() == ["Task_LocatieKiezen", "Task_VeiligheidInschatten"]
    case.assert_replays()


def test_a_closing_day_of_the_region_is_no_working_day(service, clock):
    deploy_settings(service, extra_sluitingsdagen=["2026-03-13"])
    case = start_through_p0(service, clock, P3)
    assert "sluitingsdag van de regio" in refused(lambda: plan(case, "2026-03-13T10:00"))["gesprek_datum"][0]


def test_the_conversation_is_not_before_the_cab_as_held_else_as_planned(service, clock):
    """The bound is cab_gehouden_op (the CAB task's date), else the start form's cab_datum. (The CAB
    cannot be held in the future, so in a running case the past-rule usually speaks first; the
    form rule itself is checked here with the case data a task would see.)"""
    from app.formdefs import FormContext
    from app.formdefs.validation import FormValidationError

    data = {"gesprek_datum": "2026-03-09T10:00", "deelnemers": DEELNEMERS}
    for case_data, bound in [({"cab_gehouden_op": "2026-03-10", "cab_datum": "2026-03-02"}, "dinsdag 10 maart 2026"),
                             ({"cab_datum": "2026-03-11"}, "woensdag 11 maart 2026")]:
        context = FormContext(now=clock.now(), data=case_data, settings=service.ctx.parameters)
        with pytest.raises(FormValidationError) as caught:
            service.ctx.forms.validate("sp_gesprek_organiseren_moment", data, context)
        assert caught.value.errors == {"gesprek_datum": [
            f"Deze datum (maandag 9 maart 2026) ligt vóór de consultatie- en adviesbespreking ({bound}). "
            "Kies die dag of een latere datum."]}
    context = FormContext(now=clock.now(), data={"cab_gehouden_op": "2026-03-02", "cab_datum": "2026-03-11"},
                          settings=service.ctx.parameters)
    assert service.ctx.forms.validate("sp_gesprek_organiseren_moment", data, context)["gesprek_datum"].startswith(
        "2026-03-09T10:00")


# --- 2. the start forms ------------------------------------------------------------------------------

def test_a_birth_date_in_the_future_is_refused(service, clock):
    errors = refused(lambda: service.start_case("p0_consultatie_advies", casus(jeugdigen=[
        {"naam": "Sam", "geboortedatum": "2015-06-01"}, {"naam": "Lot", "geboortedatum": "2026-03-03"}]), "anna"))
    assert errors == {"jeugdigen": {1: {"geboortedatum": [
        "Deze datum (dinsdag 3 maart 2026) ligt ná vandaag. Kies die dag of een eerdere datum."]}}}
    service.start_case("p0_consultatie_advies", casus(jeugdigen=[{"naam": "Lot", "geboortedatum": "2026-03-02"}]),
                       "anna")  # born today


def test_an_end_date_of_a_measure_needs_a_measure(service, clock):
    errors = refused(lambda: service.start_case("p0_consultatie_advies",
                                                casus(maatregel="geen", einde_maatregel="2026-09-01"), "anna"))
    assert errors["einde_maatregel"] == ["Dit veld hoort niet bij uw antwoorden: het wordt alleen gevraagd als "
                                         "'Lopende kinderbeschermingsmaatregel' een van 'Ondertoezichtstelling (OTS)', "
                                         "'Voogdij' is."]
    case = service.start_case("p0_consultatie_advies", casus(maatregel="ots", einde_maatregel="2026-09-01"), "anna")
    assert str(case.einde_maatregel) == "2026-09-01"


def test_p5_does_not_start_for_an_ots_that_already_ended(service, clock):
    data = {k: v for k, v in casus().items() if k not in ("cab_datum", "maatregel")}
    errors = refused(lambda: service.start_case("p5_warme_overdracht", {**data, "einde_maatregel": "2026-03-01"}, "gina"))
    assert errors == {"einde_maatregel": ["Deze datum (zondag 1 maart 2026) ligt vóór vandaag. "
                                          "Kies die dag of een latere datum."]}
    service.start_case("p5_warme_overdracht", {**data, "einde_maatregel": "2026-07-06"}, "gina")
