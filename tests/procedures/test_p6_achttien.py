"""P6 18-/18+ (DOMAIN §10): OTS always to a VHT bespreking; voogdij only when the care after the
18th birthday is not arranged yet. Due dates count back from the 18th birthday: the bespreking
12 weeks before (setting p6_weken_vht_bespreking), the vervolg by the birthday itself, both moved
to the previous working day."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from app.engine.clock import TZ

from .driver import CaseDriver

GI = "gina"


def local(day: date, at: time = time(9, 0)) -> datetime:
    return datetime.combine(day, at, TZ).astimezone(timezone.utc)


def start_p6(service, clock, maatregel: str, geboortedatum: str) -> CaseDriver:
    data = {
        "gemeente": "etten_leur",
        "inbrenger_organisatie": "Jeugdbescherming Brabant",
        "jeugdigen": [{"naam": "Noor Bakker", "geboortedatum": geboortedatum}],
        "maatregel": maatregel,
    }
    return CaseDriver.start(service, clock, "p6_achttien_min_plus", data, actor=GI)


def due_day(case: CaseDriver, bpmn_id: str) -> date:
    due = case.task(bpmn_id).due_at
    assert due is not None and due.utcoffset() == timedelta(0), f"{bpmn_id}: due_at must be aware UTC, is {due!r}"
    local_due = due.astimezone(TZ)
    assert local_due.time() == time(23, 59, 59)
    return local_due.date()


BESPREKING = {"advies_18plus": "Verlengde jeugdhulp tot 21 en toeleiding naar wonen.",
              "afspraken_18plus": [{"wie": "Gina", "wat": "Aanvraag verlengde jeugdhulp", "wanneer": "2026-06-01"}]}
VERVOLG = {"vervolg_18plus": ["verlengde_jeugdhulp", "wonen"], "vervolg_toelichting": "Aangevraagd en toegekend."}

# geboortedatum: (VHT bespreking / nagaan due, vervolg due)
BIRTHDAYS = {
    # 18 on Thursday 6 August 2026; 12 weeks before is Hemelvaartsdag 14 May -> Wednesday 13 May.
    "2008-08-06": (date(2026, 5, 13), date(2026, 8, 6)),
    # 18 on Saturday 12 September 2026; 12 weeks before is Saturday 20 June: both to the Friday before.
    "2008-09-12": (date(2026, 6, 19), date(2026, 9, 11)),
}

PATHS = {
    # maatregel, zorg_na_18_geregeld (voogdij only), geboortedatum, end state
    "ots_altijd_bespreking": ("ots", None, "2008-08-06", "achttien_plus_geregeld"),
    "voogdij_zorg_niet_geregeld": ("voogdij", False, "2008-09-12", "achttien_plus_geregeld"),
    "voogdij_zorg_al_geregeld": ("voogdij", True, "2008-08-06", "geen_vht_bespreking_nodig"),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_paths_end_states_and_due_dates(service, clock, path):
    maatregel, geregeld, geboortedatum, end = PATHS[path]
    bespreking_due, vervolg_due = BIRTHDAYS[geboortedatum]
    case = start_p6(service, clock, maatregel, geboortedatum)

    if maatregel == "voogdij":
        assert case.open_ids() == ["Task_ZorgNa18Nagaan"]
        assert case.task("Task_ZorgNa18Nagaan").role == "gi"
        assert due_day(case, "Task_ZorgNa18Nagaan") == bespreking_due
        data = {"zorg_na_18_geregeld": geregeld}
        if geregeld:
            data["zorg_na_18_toelichting"] = "Pleegzorg loopt door tot 21 jaar."
        case.complete("Task_ZorgNa18Nagaan", data, GI)

    if end == "achttien_plus_geregeld":
        # The OTS path skips the question: straight to the VHT.
        assert case.open_ids() == ["Task_VhtBespreking18"]
        assert case.task("Task_VhtBespreking18").role == "veiligheidsteam"
        assert due_day(case, "Task_VhtBespreking18") == bespreking_due
        case.complete("Task_VhtBespreking18", BESPREKING, "vera")
        assert case.open_ids() == ["Task_Vervolg18PlusRegelen"]
        assert case.task("Task_Vervolg18PlusRegelen").role == "gi"
        assert due_day(case, "Task_Vervolg18PlusRegelen") == vervolg_due
        case.complete("Task_Vervolg18PlusRegelen", VERVOLG, GI)

    assert case.open_ids() == []
    instance = case.instance()
    assert (instance.status, instance.eindstatus) == ("completed", end)
    assert case.outcomes() == [end]
    assert case.signals() == []
    assert case.sent_messages() == []
    case.assert_replays()


def test_vht_bespreking_deadline_signals_and_task_stays_open(service, clock):
    case = start_p6(service, clock, "ots", "2008-08-06")  # bespreking due Wednesday 13 May 2026
    case.move_clock(local(date(2026, 5, 13), time(23, 59)))
    assert case.signals() == []
    case.move_clock(local(date(2026, 5, 14), time(0, 0)))
    assert case.signals() == ["termijn_overschreden"]
    assert case.open_ids() == ["Task_VhtBespreking18"]

    case.complete("Task_VhtBespreking18", BESPREKING, "vera")
    case.complete("Task_Vervolg18PlusRegelen", VERVOLG, GI)
    assert case.end_state() == "achttien_plus_geregeld"
    assert case.signals() == ["termijn_overschreden"]
    case.assert_replays()
