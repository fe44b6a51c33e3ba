"""P4 interventiegesprek met de RvdK, started from P0 with interventies ['interventiegesprek_rvdk'].

Covers every gateway of P4 (grond om aan te sluiten, gesprek gevoerd, opnieuw plannen, besluit RvdK)
and all its end states, the RvdK reminder, the reconsideration timer of a postponed investigation,
and the messages: the card to the RvdK, the definitive card, the card after the conversation.
Case start: Monday 2026-03-02 09:00, cab_datum 2026-03-02 (streeftermijn: end of 2026-03-16).
"""
import pytest

pytest.register_assert_rewrite(f"{__package__}.gesprek_steps")  # readable failures in the steps

from .gesprek_steps import (  # noqa: E402
    ORGANISEREN_TEGELIJK,
    assert_p0_done,
    assert_terug_naar_vht,
    at,
    due,
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

P4 = "interventiegesprek_rvdk"


def naar_rvdk(service, clock, **casus_overrides):
    """P0, then P4 first processes the advice into the card again and mails it to the RvdK."""
    case = start_through_p0(service, clock, P4, **casus_overrides)
    assert case.open_ids() == ["Task_AdviesVerwerken"]
    assert case.task("Task_AdviesVerwerken").process_id == "sp_vk_verwerken"
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    # Nothing goes to the RvdK before the inbrenger confirmed the card and that the parents know.
    assert case.open_ids() == ["Task_VkControleren"]
    assert case.task("Task_VkControleren").assignee == "anna"
    assert case.sent_messages() == []
    case.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True,
                                         "ouders_geinformeerd_rvdk_hoe": "Telefonisch op 2 maart."})
    assert case.sent_messages() == ["vk_naar_rvdk"]
    assert case.open_ids() == ["Task_GrondToetsen"]
    task = case.task("Task_GrondToetsen")
    assert task.role == "rvdk"
    assert task.process_id == "p4_interventiegesprek_rvdk"
    return case


def grond_toetsen(case, grond: bool) -> None:
    case.complete("Task_GrondToetsen", {"grond_om_aan_te_sluiten": grond, "motivering": "Op basis van de VK."},
                  actor="rik")


def besluit_rvdk(case, besluit: str, gesprek) -> None:
    assert case.open_ids() == ["Task_BesluitRvdk"]
    assert case.task("Task_BesluitRvdk").role == "rvdk"
    assert due(case, "Task_BesluitRvdk") == gesprek.replace(hour=23, minute=59, second=59)
    case.complete("Task_BesluitRvdk", {"rvdk_besluit": besluit, "rvdk_besluit_toelichting": "Besloten in het gesprek.",
                                       "rvdk_vervolgafspraken": "Afspraken met ouders en jeugdprofessional."},
                  actor="rik")


def test_rvdk_sluit_niet_aan_na_herinnering(service, clock):
    """The RvdK does not answer for 5 working days (reminder signal, task stays), then sees no
    ground to join: the inbrenger discusses the motivation; no conversation is planned."""
    case = naar_rvdk(service, clock)
    # Ready on Monday 2 March: 5 working days later is Monday 9 March, end of day.
    case.move_clock(at(2026, 3, 9, 23, 58, 59))
    assert case.signals() == []
    case.move_clock(at(2026, 3, 10, 0, 0))
    assert case.signals() == ["herinnering_rvdk"]
    assert case.open_ids() == ["Task_GrondToetsen"]

    grond_toetsen(case, False)
    assert case.open_ids() == ["Task_MotiveringBespreken"]
    assert case.task("Task_MotiveringBespreken").assignee == "anna"
    case.complete("Task_MotiveringBespreken", {"vervolg_zonder_rvdk": "zelfstandig_verder",
                                               "vervolg_toelichting": "Verder met een gesprek zonder RvdK."})
    assert_p0_done(case, "rvdk_sluit_niet_aan")
    assert case.sent_messages() == ["vk_naar_rvdk"]
    assert case.signals() == ["herinnering_rvdk"]
    case.assert_replays()


def test_geen_onderzoek(service, clock):
    """Ground to join; security informed; the inbrenger chairs; Sam (10) is old enough but not
    invited (with a reason); the parents react in time; all present; the RvdK decides: no investigation."""
    case = naar_rvdk(service, clock)
    grond_toetsen(case, True)
    # Friday 13 March: 3 working days before is Tuesday 10 March.
    organiseren(case, "2026-03-13T10:00", maatregelen=("beveiliging_informeren",), jeugdige="uitgenodigd")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 10, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 13, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=True)
    besluit_rvdk(case, "geen_onderzoek", at(2026, 3, 13))
    vk_na_gesprek(case, at(2026, 3, 13, 10, 0))

    assert_p0_done(case, "rvdk_geen_onderzoek")
    assert case.sent_messages() == ["vk_naar_rvdk", "vk_definitief_verzonden", "vk_na_gesprek_verzonden"]
    assert case.signals() == []
    case.assert_replays()


def test_opnieuw_plannen_dan_beschermingsonderzoek(service, clock):
    """Parents absent the first time (no reaction either) -> plan again on Friday 8 May: the new
    sending day skips Bevrijdingsdag (Tue 5 May) -> Monday 4 May, and 'VK te laat' follows it."""
    case = naar_rvdk(service, clock)
    grond_toetsen(case, True)
    # Thursday 12 March: the sending day is Monday 9 March, 09:00.
    organiseren(case, "2026-03-12T10:00", maatregelen=("onafhankelijk_voorzitter",), voorzitter="onafhankelijk")
    reactie_vragen(case)
    zonder_reactie(case, at(2026, 3, 9))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0), voorzitter="onafhankelijk")
    gesprek_voeren(case, ouders_aanwezig=False, besluit="opnieuw_plannen")
    assert case.open_ids() == ORGANISEREN_TEGELIJK
    assert "Task_BesluitRvdk" not in case.open_ids()

    organiseren(case, "2026-05-08T10:00", jeugdige="uitgenodigd")
    reactie_vragen(case)
    case.move_clock(at(2026, 4, 1, 9, 0))
    assert case.signals() == ["streeftermijn_overschreden"]  # 16 March passed while replanning
    reactie_ontvangen(case, deadline=at(2026, 5, 4, 23, 59, 59))
    case.move_clock(at(2026, 5, 4, 23, 58, 59))
    assert "vk_te_laat" not in case.signals()
    case.move_clock(at(2026, 5, 5, 0, 0))
    assert case.signals() == ["streeftermijn_overschreden", "vk_te_laat"]
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]
    vk_versturen(case)
    voorbespreking(case, at(2026, 5, 8, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=True)
    besluit_rvdk(case, "beschermingsonderzoek", at(2026, 5, 8))
    vk_na_gesprek(case, at(2026, 5, 8, 10, 0))

    assert_p0_done(case, "rvdk_beschermingsonderzoek")
    assert case.sent_messages() == ["vk_naar_rvdk", "reactie_ouders_niet_ontvangen", "vk_definitief_verzonden",
                                    "vk_definitief_verzonden", "vk_na_gesprek_verzonden"]
    assert case.signals() == ["streeftermijn_overschreden", "vk_te_laat"]
    case.assert_replays()


def test_onderzoek_uitgesteld_heroverweging_na_termijn(service, clock):
    """One parent absent, the chair goes on; the RvdK postpones the investigation. After
    dagen_heroverweging_uitgesteld_onderzoek (182) days the RvdK gets the reconsideration task."""
    case = naar_rvdk(service, clock)
    grond_toetsen(case, True)
    organiseren(case, "2026-03-12T10:00", jeugdige="uitgenodigd")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=True)
    besluit_rvdk(case, "onderzoek_uitgesteld", at(2026, 3, 12))
    vk_na_gesprek(case, at(2026, 3, 12, 10, 0))

    # Decided on Thursday 12 March: 182 days later is Thursday 10 September, end of day.
    assert case.open_ids() == []
    assert case.instance().status == "running"
    case.move_clock(at(2026, 9, 10, 23, 58, 59))
    assert case.open_ids() == []
    case.move_clock(at(2026, 9, 11, 0, 0))
    assert case.open_ids() == ["Task_UitgesteldOnderzoekHeroverwegen"]
    assert case.task("Task_UitgesteldOnderzoekHeroverwegen").role == "rvdk"
    case.complete("Task_UitgesteldOnderzoekHeroverwegen", {"heroverweging": "geen_onderzoek",
                                                           "heroverweging_toelichting": "Afspraken nagekomen."},
                  actor="rik")

    assert_p0_done(case, "rvdk_onderzoek_uitgesteld")
    assert case.sent_messages() == ["vk_naar_rvdk", "vk_definitief_verzonden", "vk_na_gesprek_verzonden"]
    assert case.signals() == []
    case.assert_replays()


def test_gesprek_niet_doorgegaan_terug_naar_vht(service, clock):
    """No reaction (sending day Friday 24 April, over Koningsdag); parents absent, the chair sends
    the case back to the VHT: no RvdK decision, no card after the conversation."""
    case = naar_rvdk(service, clock, jeugdigen=[{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}])
    grond_toetsen(case, True)
    organiseren(case, "2026-04-30T10:00", jeugdige="te_jong")
    reactie_vragen(case)
    zonder_reactie(case, at(2026, 4, 24))
    vk_versturen(case)
    voorbespreking(case, at(2026, 4, 30, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="terug_naar_vht")

    assert_terug_naar_vht(case, "terug_naar_vht_gesprek_niet_doorgegaan")
    assert not any(o.startswith("rvdk_") for o in case.outcomes())
    assert case.sent_messages() == ["vk_naar_rvdk", "reactie_ouders_niet_ontvangen", "vk_definitief_verzonden"]
    assert case.signals() == ["streeftermijn_overschreden"]
    case.assert_replays()
