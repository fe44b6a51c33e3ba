"""P0 with the intervention 'netwerkberaad' (P2), including its call of sp_vk_na_gesprek."""
from datetime import datetime, timezone

import pytest

from app.engine.clock import TZ
from app.service.errors import InvalidInput

from .driver import CaseDriver, casus

CAB = {
    "advies_type": "andere_aanpak",
    "advies_tekst": "Het gezinsnetwerk betrekken bij het herstel van de veiligheid.",
    "afspraken": [{"wie": "Anna", "wat": "Netwerkberaad organiseren", "wanneer": "2026-03-12",
                   "monitoring": "na het beraad terug in het VHT"}],
    "interventies": ["netwerkberaad"],
    "benodigde_partijen": [{"naam": "Oma Jansen", "rol": "gezinsnetwerk"},
                           {"naam": "Karin", "organisatie": "Volwassenhulp GGZ", "rol": "netwerkpartner"}],
}
AFSPRAAK = {
    "benodigde_partijen": [{"naam": "Oma Jansen", "rol": "gezinsnetwerk"},
                           {"naam": "Karin", "organisatie": "Volwassenhulp GGZ", "rol": "netwerkpartner"}],
    "gesprek_datum": "2026-03-12T14:00",
    "locatie": "Gemeentehuis Roosendaal",
}
BERAAD = {
    "afspraken_netwerkberaad": [{"wie": "Oma Jansen", "wat": "Haalt Sam op na school", "wanneer": "2026-03-16",
                                 "monitoring": "Anna belt wekelijks"}],
    "aanwezigen_netwerkberaad": [{"naam": "Petra de Vries", "rol": "ouder"}, {"naam": "Oma Jansen", "rol": "oma"}],
}
VERWERKEN = {"weergave_gesprek": "Netwerkberaad gehouden; afspraken over opvang na school.",
             "afspraken_in_vk_verwerkt": True}
UITKOMST = {
    "uitkomst": "Oma vangt Sam op; de ouders werken mee.",
    "verzendlijst_na_gesprek": [{"naam": "Petra de Vries", "rol": "ouder", "email": "petra@example.org"},
                                {"naam": "Mark de Vries", "rol": "ouder", "email": "mark@example.org"},
                                {"naam": "Karin", "rol": "netwerkpartner", "email": "karin@example.org"}],
}


def to_netwerkberaad(service, clock, interventies=("netwerkberaad",)) -> CaseDriver:
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", {**CAB, "interventies": list(interventies)})
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    return case


def test_netwerkberaad_ends_with_afspraken_vastgelegd_and_vk_sent(service, clock):
    case = to_netwerkberaad(service, clock)
    assert case.open_ids() == ["Task_AfspraakMaken"]
    afspraak = case.task("Task_AfspraakMaken")
    assert (afspraak.role, afspraak.assignee, afspraak.due_at) == ("inbrenger", "anna", None)  # G11: no deadline

    case.complete("Task_AfspraakMaken", AFSPRAAK)
    assert case.open_ids() == ["Task_NetwerkberaadHouden"]
    assert case.task("Task_NetwerkberaadHouden").assignee == "anna"

    case.complete("Task_NetwerkberaadHouden", BERAAD)
    # sp_vk_na_gesprek: verwerken "aan het einde van de bespreking", i.e. by the end of the beraad's day.
    assert case.open_ids() == ["Task_GesprekVerwerken"]
    verwerken = case.task("Task_GesprekVerwerken")
    assert verwerken.assignee == "anna"
    assert verwerken.due_at == datetime(2026, 3, 12, 23, 59, 59, tzinfo=TZ).astimezone(timezone.utc)
    assert case.sent_messages() == []

    case.complete("Task_GesprekVerwerken", VERWERKEN)
    assert case.open_ids() == ["Task_UitkomstInvullen"]
    assert case.sent_messages() == []

    case.complete("Task_UitkomstInvullen", UITKOMST)
    assert case.open_ids() == []
    assert case.sent_messages() == ["vk_na_gesprek_verzonden"]
    outcomes = case.outcomes()
    assert "netwerkberaad_afspraken_vastgelegd" in outcomes
    # The VK goes out before the netwerkberaad counts as vastgelegd, and P0 ends after that.
    assert outcomes.index("vk_na_gesprek_verzonden") < outcomes.index("netwerkberaad_afspraken_vastgelegd") \
        < outcomes.index("advies_uitgevoerd")
    instance = case.instance()
    assert (instance.status, instance.eindstatus) == ("completed", "advies_uitgevoerd")
    assert case.signals() == []
    case.assert_replays()


def test_netwerkberaad_next_to_zorg_p0_waits_for_both(service, clock):
    case = to_netwerkberaad(service, clock, interventies=("zorg", "netwerkberaad"))
    assert case.open_ids() == ["Task_AfspraakMaken", "Task_ContactZorgLeggen"]

    case.complete("Task_ContactZorgLeggen",
                  {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam", "zorg_vht_organisatie": False})
    assert case.open_ids() == ["Task_AfspraakMaken"]
    assert "zorg_ingezet" in case.outcomes()
    assert case.instance().status == "running"

    case.complete("Task_AfspraakMaken", AFSPRAAK)
    case.complete("Task_NetwerkberaadHouden", BERAAD)
    case.complete("Task_GesprekVerwerken", VERWERKEN)
    case.complete("Task_UitkomstInvullen", UITKOMST)
    assert case.open_ids() == []
    assert {"zorg_ingezet", "netwerkberaad_afspraken_vastgelegd"} <= set(case.outcomes())
    assert case.end_state() == "advies_uitgevoerd"
    assert case.sent_messages() == ["vk_na_gesprek_verzonden"]
    case.assert_replays()


def test_afspraak_without_gesprek_datum_is_refused(service, clock):
    """The date is required: sp_vk_na_gesprek's deadline is computed from it."""
    case = to_netwerkberaad(service, clock)
    data = {k: v for k, v in AFSPRAAK.items() if k != "gesprek_datum"}
    with pytest.raises(InvalidInput):
        case.complete("Task_AfspraakMaken", data)
    assert case.open_ids() == ["Task_AfspraakMaken"]
    case.assert_replays()
