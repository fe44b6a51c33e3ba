"""P3 interventiegesprek (vrijwillig kader), started from P0 with interventies ['interventiegesprek'].

Covers every gateway of P3 and of the sub-processes it calls (gesprek organiseren, VK voorbereiden,
VK na gesprek), both end states, and the deadlines a user notices: the parents' reaction or the
sending day (3 working days before the conversation, 09:00), 'VK te laat' at the end of that day,
the pre-meeting half an hour before, and the two-week target after the CAB (a signal only).
Case start: Monday 2026-03-02 09:00, cab_datum 2026-03-02 (streeftermijn: end of 2026-03-16).
"""
import pytest


pytest.register_assert_rewrite(f"{__package__}.gesprek_steps")  # readable failures in the steps

from .gesprek_steps import (  # noqa: E402
    ORGANISEREN_TEGELIJK,
    assert_p0_done,
    assert_terug_naar_vht,
    at,
    gesprek_voeren,
    organiseren,
    reactie_ontvangen,
    reactie_vragen,
    start_through_p0,
    vk_na_gesprek,
    vk_versturen,
    voorbespreking,
    zonder_reactie,
)
from app.service.errors import InvalidInput  # noqa: E402

P3 = "interventiegesprek"


def test_reactie_ouders_jeugdige_uitgenodigd_afgerond(service, clock):
    """Parents react in time; Sam (10) is invited; police and an independent chair; all present."""
    case = start_through_p0(service, clock, P3)
    # Thursday 12 March: 3 working days before is Monday 9 March.
    organiseren(case, "2026-03-12T10:00", maatregelen=("onafhankelijk_voorzitter", "politie_aanwezig"),
                voorzitter="onafhankelijk", jeugdige="uitgenodigd")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0), voorzitter="onafhankelijk")
    gesprek_voeren(case, ouders_aanwezig=True)
    vk_na_gesprek(case, at(2026, 3, 12, 10, 0))

    assert_p0_done(case, "interventiegesprek_afgerond_vrijwillig")
    assert "gesprek_niet_doorgegaan" not in case.outcomes()
    assert case.sent_messages() == ["vk_definitief_verzonden", "vk_na_gesprek_verzonden"]
    # Held on 12 March, within two weeks of the CAB and with the card on time: no signals.
    assert case.signals() == []
    case.assert_replays()


def test_geen_reactie_verzenddag_over_koningsdag_streeftermijn_en_vk_te_laat(service, clock):
    """No reaction: the card goes out without it on the sending day. The conversation on Thursday
    30 April: 3 working days before skips Koningsdag (Mon 27 April) and the weekend -> Friday
    24 April. Sam turns 8 on 20 April: 7 today, 8 on the conversation date, so invited."""
    case = start_through_p0(service, clock, P3, jeugdigen=[{"naam": "Sam de Vries", "geboortedatum": "2018-04-20"}])
    organiseren(case, "2026-04-30T10:00", jeugdige="uitgenodigd")

    # TM1: cab_datum + 14 days, end of day (Monday 16 March 23:59:59). A signal, the case goes on.
    case.move_clock(at(2026, 3, 16, 23, 58, 59))
    assert "streeftermijn_overschreden" not in case.signals()
    case.move_clock(at(2026, 3, 17, 0, 0))
    assert case.signals() == ["streeftermijn_overschreden"]
    assert case.open_ids() == ["Task_ReactieOudersVragen"]
    assert case.instance().status == "running"

    reactie_vragen(case)
    zonder_reactie(case, at(2026, 4, 24))
    # The race is decided: nobody waits for the reaction any more, yet it is recorded (never lost).
    late = case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Te laat."})
    assert late.na_verzenddag and late.instance_id is None and not late.opnieuw_verstuurd

    # The card must be sent by the end of Friday 24 April; not sent then -> 'VK te laat', task stays.
    case.move_clock(at(2026, 4, 24, 23, 58, 59))
    assert "vk_te_laat" not in case.signals()
    case.move_clock(at(2026, 4, 25, 0, 0))
    assert case.signals() == ["streeftermijn_overschreden", "vk_te_laat"]
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]
    case.move_clock(at(2026, 4, 28, 9, 0))
    vk_versturen(case)

    voorbespreking(case, at(2026, 4, 30, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=True)
    vk_na_gesprek(case, at(2026, 4, 30, 10, 0))

    assert_p0_done(case, "interventiegesprek_afgerond_vrijwillig")
    assert case.sent_messages() == ["reactie_ouders_niet_ontvangen", "vk_definitief_verzonden",
                                    "vk_na_gesprek_verzonden"]
    assert case.signals() == ["streeftermijn_overschreden", "vk_te_laat"]
    case.assert_replays()


def test_opnieuw_plannen_met_nieuwe_termijnen_dan_terug_naar_vht(service, clock):
    """A young child (6): only the parents are invited. Parents absent -> plan again with a new
    date; the deadlines follow the new date. The second time absent again -> back to the VHT."""
    case = start_through_p0(service, clock, P3, jeugdigen=[{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}])
    # Wednesday 11 March: 3 working days before is Friday 6 March.
    organiseren(case, "2026-03-11T10:00", jeugdige="te_jong")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 6, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 11, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="opnieuw_plannen")

    # Back to planning, in the same case.
    assert case.open_ids() == ORGANISEREN_TEGELIJK
    assert case.instance().status == "running"
    # Monday 18 May: 3 working days before skips the weekend and Hemelvaartsdag (Thu 14 May)
    # -> Tuesday 12 May.
    organiseren(case, "2026-05-18T10:00", jeugdige="te_jong")
    reactie_vragen(case)
    # The old sending day (6 March) lies behind us: nothing opens, not even on 11 May at 09:00.
    case.move_clock(at(2026, 5, 11, 9, 0))
    assert case.open_ids() == []
    # The two-week target (16 March) was passed while replanning: signalled once.
    assert case.signals() == ["streeftermijn_overschreden"]
    zonder_reactie(case, at(2026, 5, 12))
    vk_versturen(case)
    voorbespreking(case, at(2026, 5, 18, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="terug_naar_vht")

    assert_terug_naar_vht(case, "terug_naar_vht_gesprek_niet_doorgegaan")
    assert "interventiegesprek_afgerond_vrijwillig" not in case.outcomes()
    assert case.sent_messages() == ["vk_definitief_verzonden", "reactie_ouders_niet_ontvangen",
                                    "vk_definitief_verzonden"]
    assert case.signals() == ["streeftermijn_overschreden"]
    case.assert_replays()


@pytest.mark.parametrize(
    "geboortedatum, jeugdige",
    [("2018-04-30", "uitgenodigd"),  # 8th birthday on the conversation date: always invited
     ("2018-05-01", "te_jong")],          # 8 the day after: parents only
    ids=["8_op_gespreksdatum", "8_een_dag_later"],
)
def test_leeftijdsgrens_op_gespreksdatum(service, clock, geboortedatum, jeugdige):
    """The age limit (instelling leeftijdsgrens_jeugdige, 8) counts on the conversation date."""
    case = start_through_p0(service, clock, P3, jeugdigen=[{"naam": "Sam de Vries", "geboortedatum": geboortedatum}])
    organiseren(case, "2026-04-30T10:00", jeugdige=jeugdige)
    afspraken = "Task_JeugdigeAfspraken" in [t.bpmn_id for t in service.tasks(case_id=case.case_id, state=None)]
    assert afspraken == (jeugdige == "uitgenodigd")
    case.assert_replays()


def test_vk_te_laat_bewaakt_de_hele_voorbereiding(service, clock):
    """'VK te laat' (end of the sending day) guards the whole preparation of the card, not only
    its last step (DOMAIN §3, SP-VK-VOORBEREID step 4): the parents reacted, but their reaction is
    still unprocessed when the sending day (Monday 9 March) ends -> signalled then, once."""
    case = start_through_p0(service, clock, P3)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Wij willen eerst zelf iets proberen."})
    assert case.open_ids() == ["Task_ReactieOudersVerwerken"]

    case.move_clock(at(2026, 3, 9, 23, 58, 59))
    assert case.signals() == []
    case.move_clock(at(2026, 3, 10, 0, 0))
    assert case.signals() == ["vk_te_laat"]
    assert case.open_ids() == ["Task_ReactieOudersVerwerken"]

    case.complete("Task_ReactieOudersVerwerken", {"vk_aanpassingen_reactie": "Reactie opgenomen.",
                                                  "reactie_ouders_in_vk": True})
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]
    vk_versturen(case)
    assert case.signals() == ["vk_te_laat"]  # one late card, one signal
    case.assert_replays()


def test_maatregel_onafhankelijk_voorzitter_dwingt_onafhankelijke_voorzitter(service, clock):
    """DOMAIN G23: 'onafhankelijk voorzitter' chosen as a safety measure forces an independent
    chair: 'de inbrenger zelf' is refused with a message saying why (issue 13: the page does not
    offer it); the independent chair follows."""
    case = start_through_p0(service, clock, P3)
    case.complete("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                         "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"}]})
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Dreiging richting de inbrenger.",
                                                "veiligheidsmaatregelen": ["onafhankelijk_voorzitter"]})
    # The chair follows the safety assessment in its own branch; the location runs beside it.
    assert case.open_ids() == ["Task_LocatieKiezen", "Task_VoorzitterAfstemmen"]
    with pytest.raises(InvalidInput) as refused:
        case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"})
    assert "onafhankelijk voorzitter als maatregel" in refused.value.errors["voorzitter_type"][0]
    assert case.open_ids() == ["Task_LocatieKiezen", "Task_VoorzitterAfstemmen"]
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "onafhankelijk"})
    assert case.open_ids() == ["Task_LocatieKiezen", "Task_OnafhankelijkVoorzitterRegelen"]
    case.assert_replays()


def test_timers_gaan_af_zodra_hun_moment_voorbij_is(service, clock):
    """A timer goes off once its moment has passed (the engine compares strictly): at 09:00:00
    exactly the sending day has not started yet, a second later it has. The same rule makes
    23:59:59 the last moment that is still on time for an end-of-day deadline."""
    case = start_through_p0(service, clock, P3)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    case.move_clock(at(2026, 3, 9, 9, 0))
    assert case.open_ids() == []
    case.move_clock(at(2026, 3, 9, 9, 0, 1))
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]  # the card was marked by the product itself
    vk_versturen(case)
    case.move_clock(at(2026, 3, 12, 9, 30))
    assert case.open_ids() == []
    case.move_clock(at(2026, 3, 12, 9, 30, 1))
    assert case.open_ids() == ["Task_InterventiegesprekVoeren", "Task_Voorbespreking"]
    case.assert_replays()


def test_taken_in_een_deelproces_horen_bij_hun_procedure(service, clock):
    """The inbox names the procedure (diagram) a task belongs to. A task inside an embedded
    sub-process belongs to the diagram that draws it: sp_vk_voorbereiden for the card, P3 for the
    pre-meeting and the conversation, never the sub-process element's id."""
    case = start_through_p0(service, clock, P3)
    assert case.task("Task_MomentPlannen").process_id == "sp_gesprek_organiseren"
    organiseren(case, "2026-03-12T10:00")
    assert case.task("Task_ReactieOudersVragen").process_id == "sp_vk_voorbereiden"
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    case.move_clock(at(2026, 3, 12, 9, 31))
    assert case.task("Task_Voorbespreking").process_id == "p3_interventiegesprek"
    case.assert_replays()
