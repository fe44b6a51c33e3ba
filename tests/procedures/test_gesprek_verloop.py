"""The conversation as the text describes it (P3 and P4): it starts only when every parent with
gezag is there; the voorbespreking is optional; the two-week target counts from the day the CAB
was held and is signalled once however often the conversation is planned again; the inbrenger can
change the planned moment; in P4 the card goes to the RvdK only after the inbrenger's check.
Case start: Monday 2026-03-02 09:00 (casus(): Petra and Mark de Vries, both with gezag)."""
import pytest

from app.service.errors import InvalidInput, NotFound

pytest.register_assert_rewrite(f"{__package__}.gesprek_steps")

from .gesprek_steps import (  # noqa: E402
    ORGANISEREN_TEGELIJK,
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
)

P3, P4 = "interventiegesprek", "interventiegesprek_rvdk"
AFSPRAAK = [{"wie": "Moeder", "wat": "Opvoedondersteuning aanvaarden"}]


def tot_het_gesprek(service, clock, interventie, **casus_overrides):
    case = start_through_p0(service, clock, interventie, **casus_overrides)
    if interventie == P4:
        case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
        case.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True})
        case.complete("Task_GrondToetsen", {"grond_om_aan_te_sluiten": True, "motivering": "Grond."}, actor="rik")
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    return case


def voeren(case, aanwezig: dict, uitkomst: str):
    data = {"ouders_aanwezigheid": [{"naam": naam, "aanwezig": a} for naam, a in aanwezig.items()],
            "gesprek_uitkomst": uitkomst, "notulen": "Verslag."}
    if uitkomst == "gevoerd":
        data["afspraken_gesprek"] = AFSPRAAK
    return case.complete("Task_InterventiegesprekVoeren", data)


@pytest.mark.parametrize("interventie", [P3, P4])
def test_gesprek_start_alleen_als_alle_ouders_met_gezag_aanwezig_zijn(service, clock, interventie):
    case = tot_het_gesprek(service, clock, interventie)
    with pytest.raises(InvalidInput) as refused:
        voeren(case, {"Petra de Vries": True, "Mark de Vries": False}, "gevoerd")
    assert refused.value.errors == {"gesprek_uitkomst": [
        "Het gesprek start pas als alle ouders met gezag aanwezig zijn (niet aanwezig: Mark de Vries). "
        "Kies 'opnieuw plannen' of 'terug naar het VeiligheidsTeam' en noteer de reden."]}
    with pytest.raises(InvalidInput) as refused:
        voeren(case, {"Petra de Vries": True}, "gevoerd")
    assert refused.value.errors["ouders_aanwezigheid"] == [
        "Vul voor iedere ouder met gezag in of die aanwezig is. Ontbreekt: Mark de Vries."]
    # Nothing of it is saved: the conversation is still open, and (P4) no RvdK decision exists.
    assert case.open_ids() == ["Task_InterventiegesprekVoeren"]
    gesprek_voeren(case, ouders_aanwezig=False, besluit="opnieuw_plannen")
    assert case.open_ids() == ORGANISEREN_TEGELIJK
    assert "Task_BesluitRvdk" not in [t.bpmn_id for t in service.tasks(case_id=case.case_id, state=None)]
    case.assert_replays()


def test_ouder_zonder_gezag_hoeft_er_niet_te_zijn(service, clock):
    case = tot_het_gesprek(service, clock, P3, ouders=[{"naam": "Petra de Vries", "gezag": True},
                                                      {"naam": "Mark de Vries", "gezag": False}])
    voeren(case, {"Petra de Vries": True}, "gevoerd")
    assert case.open_ids() == ["Task_GesprekVerwerken"]
    case.assert_replays()


def test_voorbespreking_is_optioneel(service, clock):
    """The conversation is recorded while the pre-meeting was never filled in: the pre-meeting
    lapses and the case goes on to the card after the conversation."""
    case = start_through_p0(service, clock, P3)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0), gehouden=False)
    gesprek_voeren(case, ouders_aanwezig=True)
    vk_na_gesprek(case, at(2026, 3, 12, 10, 0))
    states = {t.bpmn_id: t.state for t in service.tasks(case_id=case.case_id, state=None)}
    assert states["Task_Voorbespreking"] == "cancelled"
    assert case.case().status == "afgesloten"
    case.assert_replays()


def test_streeftermijn_telt_vanaf_de_gehouden_cab(service, clock):
    """The start form says the CAB was on 23 February; it was actually held on 2 March (the CAB
    task): the two weeks end on 16 March, not 9 March."""
    case = start_through_p0(service, clock, P3, cab_datum="2026-02-23")
    organiseren(case, "2026-03-19T10:00")
    case.move_clock(at(2026, 3, 10, 0, 0))
    assert "streeftermijn_overschreden" not in case.signals()
    case.move_clock(at(2026, 3, 17, 0, 0))
    assert case.signals().count("streeftermijn_overschreden") == 1
    case.assert_replays()


def test_streeftermijn_een_keer_ook_na_opnieuw_plannen(service, clock):
    """The target (16 March) passes before the first conversation (19 March); planned again
    afterwards, it is not signalled a second time."""
    case = start_through_p0(service, clock, P3)
    organiseren(case, "2026-03-19T10:00")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 16, 23, 59, 59))
    vk_versturen(case)
    case.move_clock(at(2026, 3, 17, 0, 0))
    assert case.signals() == ["streeftermijn_overschreden"]
    voorbespreking(case, at(2026, 3, 19, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="opnieuw_plannen")
    organiseren(case, "2026-04-02T10:00")
    case.move_clock(at(2026, 3, 20, 9, 0))
    assert case.signals() == ["streeftermijn_overschreden"]
    case.assert_replays()


def test_moment_wijzigen_voor_het_gesprek(service, clock):
    """The inbrenger changes the moment while waiting for the parents: back to planning, the old
    sending day (Monday 9 March) passes unnoticed, the new one follows the new date (Thursday 26
    March -> Monday 23 March); the reason stays in the history. Once the conversation has been
    recorded the moment can no longer be changed."""
    case = start_through_p0(service, clock, P3)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    assert "moment_wijzigen" in case.instance().waiting_messages
    case.message("moment_wijzigen", {"reden_moment_wijzigen": "De voorzitter is ziek."})
    assert case.open_ids() == ORGANISEREN_TEGELIJK
    delivered = [e for e in service.case_history(case.case_id) if e.type == "message_delivered"][-1]
    assert delivered.data["data"] == {"reden_moment_wijzigen": "De voorzitter is ziek."}
    organiseren(case, "2026-03-26T10:00")
    reactie_vragen(case)
    case.move_clock(at(2026, 3, 9, 9, 0, 1))
    assert case.open_ids() == []
    reactie_ontvangen(case, deadline=at(2026, 3, 23, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 26, 10, 0))
    assert due(case, "Task_InterventiegesprekVoeren") == at(2026, 3, 26, 23, 59, 59)
    gesprek_voeren(case, ouders_aanwezig=True)
    with pytest.raises(NotFound):
        case.message("moment_wijzigen", {"reden_moment_wijzigen": "Te laat."})
    case.assert_replays()


def test_p4_kaart_pas_naar_de_rvdk_na_de_controle(service, clock):
    case = start_through_p0(service, clock, P4)
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    with pytest.raises(InvalidInput) as refused:
        case.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": False})
    assert list(refused.value.errors) == ["ouders_geinformeerd_rvdk"]
    with pytest.raises(InvalidInput) as refused:
        case.complete("Task_VkControleren", {"vk_compleet": False, "ouders_geinformeerd_rvdk": True})
    assert list(refused.value.errors) == ["vk_compleet"]
    assert case.sent_messages() == []
    assert case.open_ids() == ["Task_VkControleren"]
    case.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True})
    assert case.sent_messages() == ["vk_naar_rvdk"]
    assert case.open_ids() == ["Task_GrondToetsen"]
    case.assert_replays()
