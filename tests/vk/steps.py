"""Driving cases to where the Veiligheidskaart changes or is sent (the procedure tests' own steps)."""
from __future__ import annotations

from tests.procedures.gesprek_steps import (
    at,
    gesprek_voeren,
    organiseren,
    reactie_ontvangen,
    reactie_vragen,
    start_through_p0,
    vk_na_gesprek,
    vk_versturen,
    voorbespreking,
)
from tests.procedures.test_p5_warme_overdracht import (
    AFSLUITGESPREK,
    GI,
    INBRENGEN,
    KERNBESLISSING,
    WARME_OVERDRACHT,
    bespreking,
    instemming_update,
    plannen,
    start_p5,
    toets,
    vk_update,
)

P4 = "interventiegesprek_rvdk"


def naar_rvdk(service, clock):
    """P0 and P4 up to the card mailed to the RvdK."""
    case = start_through_p0(service, clock, P4)
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    case.complete("Task_VkControleren", {"vk_compleet": True, "ouders_geinformeerd_rvdk": True})  # P4 check step
    assert case.sent_messages() == ["vk_naar_rvdk"]
    return case


def p4_to_the_end(case) -> None:
    case.complete("Task_GrondToetsen", {"grond_om_aan_te_sluiten": True, "motivering": "Op basis van de VK."},
                  actor="rik")
    organiseren(case, "2026-03-13T10:00", jeugdige="uitgenodigd")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 10, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 13, 10, 0))
    gesprek_voeren(case, ouders_aanwezig=True)
    case.complete("Task_BesluitRvdk", {"rvdk_besluit": "geen_onderzoek", "rvdk_besluit_toelichting": "Besloten.",
                                       "rvdk_vervolgafspraken": "Afspraken."}, actor="rik")
    vk_na_gesprek(case, at(2026, 3, 13, 10, 0))


def p5_to_vk_update(service, clock, toestemming: bool):
    """P5 (OTS ends) through every step to the update with the parents, with or without consent."""
    case = start_p5(service, clock, "2026-07-06")
    case.complete("Task_Kernbeslissing", KERNBESLISSING, GI)
    case.complete("Task_CasusInbrengenVht", INBRENGEN, GI)
    # The VHT chooses the toegang professional of the case's gemeente (Roosendaal): tom.
    case.complete("Task_OverdrachtBespreken", {**bespreking(True), "toegang_gebruiker": "tom"}, "vera")
    case.complete("Task_BetekenisvolToetsen", toets(True), "rik")  # the RvdK's toets before the handover
    case.complete("Task_WarmeOverdrachtRegelen", WARME_OVERDRACHT, "tom")
    case.complete("Task_AfsluitgesprekPlannen", plannen(True), GI)
    case.complete("Task_AfsluitgesprekVoeren", AFSLUITGESPREK, GI)
    case.complete("Task_InstemmingUpdateVragen", instemming_update(True), GI)
    case.complete("Task_VkUpdaten", vk_update(toestemming), GI)
    return case
