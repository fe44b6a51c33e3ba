"""P0 consultatie- en adviesbespreking with the intervention 'zorg' (P1), every P1 branch."""
import pytest

from .driver import CaseDriver, casus

CAB = {
    "advies_type": "andere_aanpak",
    "advies_tekst": "Zorg inzetten en monitoren via de inbrenger.",
    "afspraken": [{"wie": "Anna", "wat": "Zorg regelen", "wanneer": "2026-03-16", "monitoring": "elke 2 weken"}],
    "interventies": ["zorg"],
}


def start_with_zorg(service, clock) -> CaseDriver:
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    assert case.open_ids() == ["Task_CabHouden"]
    case.complete("Task_CabHouden", CAB)
    assert case.open_ids() == ["Task_AdviesVerwerken"]
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    assert case.open_ids() == ["Task_ContactZorgLeggen"]
    return case


@pytest.mark.parametrize(
    "contact, next_task, data, actor",
    [
        ({"zorgsoort": "tweedelijns", "zorgaanbieder_naam": "GGZ WNB", "zorg_vht_organisatie": True},
         "Task_DirecteToegangFaciliteren", {"contactpersoon_organisatie": "Nina", "startdatum_zorg": "2026-03-20"},
         "nina"),
        ({"zorgsoort": "tweedelijns", "zorgaanbieder_naam": "Praktijk X", "zorg_vht_organisatie": False},
         "Task_VerwijzingRegelen", {"verwijzing_via": "huisarts", "verwijzing_datum": "2026-03-10"}, "anna"),
        ({"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam", "zorg_vht_organisatie": False},
         None, None, None),
    ],
    ids=["vht_organisatie", "verwijzing", "eerstelijns"],
)
def test_zorg_branches_end_in_zorg_ingezet(service, clock, contact, next_task, data, actor):
    case = start_with_zorg(service, clock)
    case.complete("Task_ContactZorgLeggen", contact)
    if next_task:
        assert case.open_ids() == [next_task]
        case.complete(next_task, data, actor)
    assert case.open_ids() == []
    instance = case.instance()
    assert instance.status == "completed"
    assert instance.eindstatus == "advies_uitgevoerd"
    assert case.history_types()[0] == "instance_started"
    assert "zorg_ingezet" in case.outcomes()
    assert case.history_types().count("task_completed") == 3 + (1 if next_task else 0)
    case.assert_replays()
