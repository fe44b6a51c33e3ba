"""'Terug naar het VeiligheidsTeam' (p7_vht_vervolg) and when a case is 'afgesloten'.

Every end the text calls "terug naar het VeiligheidsTeam" gives the VeiligheidsTeam the task
'Vervolg bepalen'; the case stays open until it is decided: a new consultatie- en adviesbespreking
(P0 runs again in the same case) or closing the case. P0 does not end 'advies uitgevoerd' when an
intervention came back. Case start: Monday 2026-03-02 09:00.
"""
import pytest

pytest.register_assert_rewrite(f"{__package__}.gesprek_steps")

from .driver import CaseDriver, casus  # noqa: E402
from .gesprek_steps import (  # noqa: E402
    assert_terug_naar_vht,
    at,
    cab,
    gesprek_voeren,
    organiseren,
    reactie_ontvangen,
    reactie_vragen,
    start_through_p0,
    vk_versturen,
    voorbespreking,
)

P3, P4 = "interventiegesprek", "interventiegesprek_rvdk"


def terug_via_p3(service, clock, **casus_overrides):
    """P3 up to the chair's decision 'terug naar het VeiligheidsTeam' (Mark absent)."""
    case = start_through_p0(service, clock, P3, **casus_overrides)
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="terug_naar_vht")
    return case


def vervolg(case, keuze: str):
    case.complete("Task_VervolgBepalen", {"vht_vervolg": keuze, "vht_vervolg_toelichting": "Besproken in het VHT."},
                  actor="vera")


def test_gesprek_niet_doorgegaan_vht_sluit_de_casus_af(service, clock):
    case = terug_via_p3(service, clock)
    assert_terug_naar_vht(case, "terug_naar_vht_gesprek_niet_doorgegaan")
    assert "casus_afgesloten" not in case.history_types()
    # The VHT sees where the case came from.
    p7_start = [e for e in service.case_history(case.case_id) if e.type == "instance_started"][-1]
    assert p7_start.actor == "systeem"
    assert p7_start.data["data"]["terug_naar_vht_vanuit"]["eind"] == "Eind_terug_naar_vht_gesprek_niet_doorgegaan"

    vervolg(case, "afsluiten")
    assert case.open_ids() == []
    assert [i.eindstatus for i in case.case().instances] == ["interventies_niet_afgerond", "casus_afgesloten_door_vht"]
    assert case.case().status == "afgesloten"
    assert case.history_types()[-1] == "casus_afgesloten"
    case.assert_replays()


def test_nieuwe_cab_start_p0_opnieuw_in_dezelfde_casus(service, clock):
    """'Nieuwe consultatie- en adviesbespreking': P0 runs again for the case (inside p7), with a
    new advice and interventions; the case is closed once that has run its course."""
    case = terug_via_p3(service, clock)
    vervolg(case, "nieuwe_cab")
    assert case.open_ids() == ["Task_CabHouden"]
    assert case.task("Task_CabHouden").process_id == "p0_consultatie_advies"
    assert case.case().status == "open"
    case.complete("Task_CabHouden", dict(cab("zorg"), cab_gehouden_op="2026-03-12"))
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    case.complete("Task_ContactZorgLeggen", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                             "zorg_vht_organisatie": False})
    assert case.open_ids() == []
    assert "zorg_ingezet" in case.outcomes()
    p0, p7 = case.case().instances
    assert (p7.status, p7.eindstatus) == ("completed", "nieuwe_cab")
    assert case.case().status == "afgesloten"
    case.assert_replays()


def test_rvdk_sluit_niet_aan_inbrenger_kiest_terug_naar_vht(service, clock):
    """The RvdK sees no ground to join and the inbrenger hands the case back: the VHT decides."""
    case = start_through_p0(service, clock, P4)
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    case.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True})
    case.complete("Task_GrondToetsen", {"grond_om_aan_te_sluiten": False, "motivering": "Geen grond."}, actor="rik")
    case.complete("Task_MotiveringBespreken", {"vervolg_zonder_rvdk": "terug_naar_vht",
                                               "vervolg_toelichting": "Het VHT moet bepalen hoe verder."})
    assert_terug_naar_vht(case, "terug_naar_vht_rvdk_sluit_niet_aan")
    assert "rvdk_sluit_niet_aan" not in case.outcomes()
    case.assert_replays()


def test_zorg_ingezet_maar_gesprek_teruggekomen(service, clock):
    """Two interventions: the care is arranged, the conversation comes back. P0 ends 'niet alle
    interventies afgerond', not 'advies uitgevoerd', and the case waits for the VHT."""
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", dict(cab(P3), interventies=["zorg", P3]))
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    assert case.open_ids() == ["Task_ContactZorgLeggen", "Task_LocatieKiezen", "Task_MomentPlannen",
                               "Task_VeiligheidInschatten"]
    case.complete("Task_ContactZorgLeggen", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                             "zorg_vht_organisatie": False})
    assert "zorg_ingezet" in case.outcomes()
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="terug_naar_vht")
    assert_terug_naar_vht(case, "terug_naar_vht_gesprek_niet_doorgegaan")
    assert "advies_uitgevoerd" not in [i.eindstatus for i in case.case().instances]
    case.assert_replays()


def test_nieuwe_cab_die_weer_terugkomt_krijgt_een_nieuw_besluit(service, clock):
    """The new CAB's conversation comes back too: the VHT decides again (a new p7), the case stays open."""
    case = terug_via_p3(service, clock)
    vervolg(case, "nieuwe_cab")
    case.complete("Task_CabHouden", dict(cab(P3), cab_gehouden_op="2026-03-12"))
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    organiseren(case, "2026-03-26T10:00")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 23, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 26, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=False, besluit="terug_naar_vht")
    # The first p7 ran the new P0 and is done with it; the new return has its own decision.
    assert case.open_ids() == ["Task_VervolgBepalen"]
    statuses = [(i.process_id, i.status) for i in case.case().instances]
    assert statuses == [("p0_consultatie_advies", "completed"), ("p7_vht_vervolg", "completed"),
                        ("p7_vht_vervolg", "running")]
    assert case.case().status == "open"
    case.assert_replays()
