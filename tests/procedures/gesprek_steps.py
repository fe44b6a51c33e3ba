"""Steps shared by the P3 and P4 tests: the conversation is organised, prepared and held the same
way in both (sp_gesprek_organiseren, sp_vk_voorbereiden, sp_vk_na_gesprek), so the tests only
differ in what they choose along the way. Every step asserts what the user sees in the inbox."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.engine.clock import TZ

from .driver import CaseDriver, casus

# Timers are checked one minute before their moment (nothing yet) and one second after it (fired).
# Firing at the exact moment itself is asserted separately in test_p3_interventiegesprek
# (test_timers_gaan_af_op_hun_moment): see the report on SpiffWorkflow's strict '<'.
NET_NA = timedelta(seconds=1)

VERZENDLIJST = [{"naam": "Petra de Vries", "rol": "ouder", "email": "petra@example.org"},
                {"naam": "Nina Netwerkpartner", "rol": "netwerkpartner", "email": "nina@example.org"}]


def at(year, month, day, hour=0, minute=0, second=0) -> datetime:
    """A moment in Dutch local time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def due(case: CaseDriver, bpmn_id: str) -> datetime | None:
    """The deadline shown on an open task, in Dutch local time."""
    value = case.task(bpmn_id).due_at
    return value.astimezone(TZ) if value else None


def cab(interventie: str) -> dict:
    return {
        "cab_gehouden_op": "2026-03-02",
        "advies_type": "gedwongen_kader_nodig" if interventie == "interventiegesprek_rvdk" else "andere_aanpak",
        "advies_tekst": "In gesprek met het gezin over de zorgen en de afspraken.",
        "afspraken": [{"wie": "Anna", "wat": "Interventiegesprek organiseren", "wanneer": "2026-03-06",
                       "monitoring": "na het gesprek in het VeiligheidsTeam"}],
        "interventies": [interventie],
        "aansluitende_partners": [{"naam": "Nina Netwerkpartner", "organisatie": "Veilig Thuis",
                                   "rol": "netwerkpartner"}],
    }


def start_through_p0(service, clock, interventie: str, **casus_overrides) -> CaseDriver:
    """P0 with the one chosen intervention, up to the first task of that intervention."""
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus(**casus_overrides))
    assert case.open_ids() == ["Task_CabHouden"]
    case.complete("Task_CabHouden", cab(interventie))
    assert case.open_ids() == ["Task_AdviesVerwerken"]
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    return case


ORGANISEREN_TEGELIJK = ["Task_LocatieKiezen", "Task_MomentPlannen", "Task_VeiligheidInschatten"]


def organiseren(case: CaseDriver, gesprek_datum: str, *, maatregelen=(), voorzitter="inbrenger",
                jeugdige: str = "uitgenodigd") -> None:
    """sp_gesprek_organiseren. The moment, the safety (then the chair) and the location are
    organised at the same time: all three are in the inbox at once; the invitation only comes when
    every one of them is done. Done here in the order moment, safety + chair, location. jeugdige:
    'uitgenodigd' / 'niet_uitgenodigd' (old enough, the inbrenger made the regional exception: only
    when jeugdige_niet_uitnodigen_toegestaan is on) / 'te_jong' (expects the invitation for the
    parents only)."""
    assert case.open_ids() == ORGANISEREN_TEGELIJK
    assert case.task("Task_MomentPlannen").assignee == "anna"
    case.complete("Task_MomentPlannen", {
        "gesprek_datum": gesprek_datum,
        "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"},
                       {"naam": "Nina Netwerkpartner", "organisatie": "Veilig Thuis", "rol": "netwerkpartner"}],
    })
    assert case.open_ids() == ["Task_LocatieKiezen", "Task_VeiligheidInschatten"]
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Vader kan boos worden.",
                                                "veiligheidsmaatregelen": list(maatregelen)})
    if "beveiliging_informeren" in maatregelen or "politie_aanwezig" in maatregelen:
        assert case.open_ids() == ["Task_BeveiligingInformeren", "Task_LocatieKiezen"]
        case.complete("Task_BeveiligingInformeren", {"beveiliging_politie_geinformeerd_op": "2026-03-03",
                                                     "beveiliging_politie_afspraken": "Wijkagent is aanwezig."})
    assert case.open_ids() == ["Task_LocatieKiezen", "Task_VoorzitterAfstemmen"]
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": voorzitter})
    if voorzitter == "onafhankelijk":
        assert case.open_ids() == ["Task_LocatieKiezen", "Task_OnafhankelijkVoorzitterRegelen"]
        case.complete("Task_OnafhankelijkVoorzitterRegelen", {"voorzitter_soort": "procesregisseur",
                                                              "voorzitter_naam": "Victor Voorzitter"})
    assert case.open_ids() == ["Task_LocatieKiezen"]
    case.complete("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"})
    uitnodiging = {"uitnodiging_verstuurd_op": "2026-03-03", "uitnodiging_doel": "Samen praten over de zorgen.",
                   "recht_vertrouwenspersoon_vermeld": True}
    if jeugdige == "te_jong":
        assert case.open_ids() == ["Task_OudersUitnodigen"]
        case.complete("Task_OudersUitnodigen", uitnodiging)
    else:
        assert case.open_ids() == ["Task_OudersEnJeugdigeUitnodigen"]
        if jeugdige == "uitgenodigd":
            case.complete("Task_OudersEnJeugdigeUitnodigen", uitnodiging)
            assert case.open_ids() == ["Task_JeugdigeAfspraken"]
            task = case.task("Task_JeugdigeAfspraken")
            assert task.role == "netwerkpartner"
            case.complete("Task_JeugdigeAfspraken", {"jeugdige_aanwezig_moment": "Het tweede half uur",
                                                     "jeugdige_apart_spreken": "Vooraf, door Nina"}, actor="nina")
        else:
            case.complete("Task_OudersEnJeugdigeUitnodigen", dict(
                uitnodiging, jeugdige_niet_uitnodigen=True, reden_jeugdige_niet_uitgenodigd="Jeugdige wil niet komen."))
    # The organising is done: the inbrenger asks the parents for their reaction on the card.
    assert case.open_ids() == ["Task_ReactieOudersVragen"]


def reactie_vragen(case: CaseDriver) -> None:
    case.complete("Task_ReactieOudersVragen", {"reactie_gevraagd_op": "2026-03-03", "reactie_gevraagd_via": "email"})
    # Waiting for the parents or the sending day: nothing to do in the inbox.
    assert case.open_ids() == []


def reactie_ontvangen(case: CaseDriver, deadline: datetime) -> None:
    """The parents' reaction arrives before the deadline: the inbrenger works it into the card."""
    case.message("reactie_ouders_ontvangen", {"reactie_ouders": "Wij herkennen ons niet in punt 2."})
    assert case.open_ids() == ["Task_ReactieOudersVerwerken"]
    assert due(case, "Task_ReactieOudersVerwerken") == deadline
    case.complete("Task_ReactieOudersVerwerken", {"vk_aanpassingen_reactie": "Reactie bij punt 2 opgenomen.",
                                                  "reactie_ouders_in_vk": True})
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]
    assert due(case, "Task_DefinitieveVkVersturen") == deadline


def zonder_reactie(case: CaseDriver, verzenddag: datetime) -> None:
    """No reaction: at 09:00 on the sending day (not at 08:59) the product itself marks the card
    "reactie ouders niet ontvangen" and tells the chair; the inbrenger sends the card that day."""
    case.move_clock(verzenddag.replace(hour=8, minute=59))
    assert case.open_ids() == []
    before = case.sent_messages().count("reactie_ouders_niet_ontvangen")
    case.move_clock(verzenddag.replace(hour=9, minute=0) + NET_NA)
    assert case.sent_messages().count("reactie_ouders_niet_ontvangen") == before + 1
    assert case.open_ids() == ["Task_DefinitieveVkVersturen"]
    assert due(case, "Task_DefinitieveVkVersturen") == verzenddag.replace(hour=23, minute=59, second=59)


def overhandigen(case: CaseDriver) -> None:
    """The card reached someone without an e-mail address (in casus(): Mark de Vries) through the
    inbrenger, who records how."""
    assert case.open_ids() == ["Task_VkOverhandigen"]
    assert case.task("Task_VkOverhandigen").assignee == "anna"
    case.complete("Task_VkOverhandigen", {"vk_overhandigd": True,
                                          "vk_overhandigd_hoe": "Mark de Vries: op papier bij het huisbezoek."})


def vk_versturen(case: CaseDriver) -> None:
    before = case.sent_messages().count("vk_definitief_verzonden")
    case.complete("Task_DefinitieveVkVersturen", {"verzendlijst_definitieve_vk": VERZENDLIJST})
    assert case.sent_messages().count("vk_definitief_verzonden") == before + 1
    if "Task_VkOverhandigen" in case.open_ids():
        overhandigen(case)
    # Until half an hour before the conversation nothing is open.
    assert case.open_ids() == []


def voorbespreking(case: CaseDriver, gesprek: datetime, voorzitter: str = "inbrenger", gehouden: bool = True) -> None:
    """The pre-meeting task and the conversation appear together at gesprek - 30 min, not a minute
    earlier: the conversation does not wait for the (optional) pre-meeting. The chair records the
    conversation: the inbrenger herself when she chairs (voorzitter_type 'inbrenger'), else whoever
    has the role voorzitter. gehouden=False leaves the pre-meeting open (it lapses with the conversation)."""
    case.move_clock(gesprek - timedelta(minutes=31))
    assert case.open_ids() == []
    case.move_clock(gesprek - timedelta(minutes=30) + NET_NA)
    assert case.open_ids() == ["Task_InterventiegesprekVoeren", "Task_Voorbespreking"]
    assert case.task("Task_Voorbespreking").assignee == "anna"
    assert due(case, "Task_Voorbespreking") == gesprek
    if gehouden:
        case.complete("Task_Voorbespreking", {"voorbespreking_gehouden": True,
                                              "voorbespreking_aantekeningen": "Moeder mag even weglopen."})
        assert case.open_ids() == ["Task_InterventiegesprekVoeren"]
    task = case.task("Task_InterventiegesprekVoeren")
    assert task.role == "voorzitter"
    assert task.assignee == ("anna" if voorzitter == "inbrenger" else None)
    assert due(case, "Task_InterventiegesprekVoeren") == gesprek.replace(hour=23, minute=59, second=59)


def gesprek_voeren(case: CaseDriver, *, ouders_aanwezig=True, besluit=None) -> None:
    """All parents with gezag of casus() present and the conversation held; or Mark absent and the
    chair's besluit: 'opnieuw_plannen' or 'terug_naar_vht' (the conversation did not start)."""
    data = {"ouders_aanwezigheid": [{"naam": "Petra de Vries", "aanwezig": True},
                                    {"naam": "Mark de Vries", "aanwezig": ouders_aanwezig}],
            "gesprek_uitkomst": "gevoerd" if ouders_aanwezig else besluit,
            "notulen": "Zorgen besproken." if ouders_aanwezig else "Vader is niet gekomen."}
    if ouders_aanwezig:
        data["afspraken_gesprek"] = [{"wie": "Moeder", "wat": "Opvoedondersteuning aanvaarden",
                                      "wanneer": "2026-06-01", "monitoring": "inbrenger"}]
    # The chair records it: the inbrenger when she chairs herself, else someone with the role voorzitter.
    case.complete("Task_InterventiegesprekVoeren", data)


def vk_na_gesprek(case: CaseDriver, gesprek: datetime) -> None:
    assert case.open_ids() == ["Task_GesprekVerwerken"]
    assert due(case, "Task_GesprekVerwerken") == gesprek.replace(hour=23, minute=59, second=59)
    case.complete("Task_GesprekVerwerken", {"weergave_gesprek": "Weergave en afspraken.",
                                            "afspraken_in_vk_verwerkt": True})
    assert case.open_ids() == ["Task_UitkomstInvullen"]
    case.complete("Task_UitkomstInvullen", {"uitkomst": "Ouders aanvaarden hulp.",
                                            "verzendlijst_na_gesprek": VERZENDLIJST})
    assert "vk_na_gesprek_verzonden" in case.sent_messages()
    if "Task_VkOverhandigen" in case.open_ids():
        overhandigen(case)


def gesprek_op_12_maart(case: CaseDriver) -> None:
    """P3 from planning to the card after it: a young child, the parents' reaction in time, the
    conversation held on Thursday 12 March 2026 at 10:00 (ten days after a CAB on 2 March) and the
    card sent the same day (the overview's and the event log's usual case)."""
    organiseren(case, "2026-03-12T10:00", jeugdige="te_jong")
    reactie_vragen(case)
    reactie_ontvangen(case, deadline=at(2026, 3, 9, 23, 59, 59))
    vk_versturen(case)
    voorbespreking(case, at(2026, 3, 12, 10, 0))
    gesprek_voeren(case)
    vk_na_gesprek(case, at(2026, 3, 12, 10, 0))


def assert_p0_done(case: CaseDriver, outcome: str) -> None:
    """P0 ended with every intervention done: nothing open, the case closed."""
    assert case.open_ids() == []
    instance = case.instance()
    assert instance.status == "completed"
    assert instance.eindstatus == "advies_uitgevoerd"
    assert outcome in case.outcomes()
    assert case.case().status == "afgesloten"


def assert_terug_naar_vht(case: CaseDriver, outcome: str) -> None:
    """The intervention ended 'terug naar het VeiligheidsTeam': P0 did not end as done, the VHT
    has the task to decide the next step, and the case stays open until it is decided."""
    assert outcome in case.outcomes()
    p0, p7 = case.case().instances
    assert (p0.status, p0.eindstatus) == ("completed", "interventies_niet_afgerond")
    assert (p7.process_id, p7.status) == ("p7_vht_vervolg", "running")
    assert case.open_ids() == ["Task_VervolgBepalen"]
    assert case.task("Task_VervolgBepalen").role == "veiligheidsteam"
    assert case.case().status == "open"
