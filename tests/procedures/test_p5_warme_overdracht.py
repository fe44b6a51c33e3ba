"""P5 warme overdracht na afsluiten OTS, started by the GI casusregisseur (DOMAIN §9, §11 TM5).

Due dates are calendar weeks before einde_maatregel (12/11/10/8/6/0), moved to the previous working
day when they fall on a weekend or a public holiday (G25); each S-step has a soft deadline at the
end of its due day that signals 'termijn_overschreden' and leaves the task open (G16).
"""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from app.engine.clock import TZ

from .driver import CaseDriver

GI = "gina"


def local(day: date, at: time = time(9, 0)) -> datetime:
    """A Dutch wall-clock moment as an aware UTC datetime."""
    return datetime.combine(day, at, TZ).astimezone(timezone.utc)


def start_p5(service, clock, einde: str) -> CaseDriver:
    data = {
        "gemeente": "roosendaal",
        "inbrenger_organisatie": "Jeugdbescherming Brabant",
        "ouders": [{"naam": "Petra de Vries", "contact": "06-12345678", "gezag": True}],
        "jeugdigen": [{"naam": "Sam de Vries", "geboortedatum": "2012-05-01"}],
        "einde_maatregel": einde,
    }
    case = CaseDriver.start(service, clock, "p5_warme_overdracht", data, actor=GI)
    assert case.case().inbrenger == GI
    assert case.case().maatregel == "ots"
    return case


def due_day(case: CaseDriver, bpmn_id: str) -> date:
    due = case.task(bpmn_id).due_at
    assert due is not None and due.utcoffset() == timedelta(0), f"{bpmn_id}: due_at must be aware UTC, is {due!r}"
    local_due = due.astimezone(TZ)
    assert local_due.time() == time(23, 59, 59), f"{bpmn_id}: due by the end of the day, is {local_due}"
    return local_due.date()


# --- form data per step ---------------------------------------------------------------------------

KERNBESLISSING = {"kernbeslissing_datum": "2026-03-02", "borgingsplan": "Oma blijft dagelijks betrokken.",
                  "stukken_rvdk": "Evaluatie en afsluitrapportage"}
INBRENGEN = {"vk_samenvatting": "Krachten: netwerk rond het gezin. Afspraken lopen goed.", "vk_geactualiseerd": True}


def bespreking(nog_jeugdhulp: bool) -> dict:
    return {"nog_jeugdhulp": nog_jeugdhulp, "advies_overdracht": "Warme overdracht in een gezamenlijk gesprek.",
            "borging_veiligheid": "Veiligheidsafspraken blijven staan; toegang monitort."}


WARME_OVERDRACHT = {"nieuwe_casusregisseur": "Tom Toegang", "nieuwe_casusregisseur_contact": "tom@example.org",
                    "jeugdhulp_vervolg": "Ambulante gezinsbehandeling loopt door."}
OVERIGE = {"overige_ondersteuning": ["wonen"], "toelichting_ondersteuning": "Toeleiden naar woningcorporatie."}


def toets(positief: bool) -> dict:
    return {"toets_positief": positief, "toets_toelichting": "Getoetst bij gezin, GI en professionals."}


def plannen(instemming: bool) -> dict:
    if instemming:
        return {"ouders_stemmen_in_gesprek": True, "gesprek_datum": "2026-05-20T10:00",
                "deelnemers": [{"naam": "Gina", "organisatie": "GI"}, {"naam": "Tom", "organisatie": "Toegang"}]}
    return {"ouders_stemmen_in_gesprek": False, "reden_geen_gesprek": "Ouders willen geen gesprek meer."}


AFSLUITGESPREK = {"afsluitgesprek_verslag": "Afsluiten besproken met Sam en de ouders.",
                  "vervolgafspraken": "Tom is de nieuwe casusregisseur."}


def instemming_update(instemming: bool) -> dict:
    if instemming:
        return {"ouders_stemmen_in_update": True}
    return {"ouders_stemmen_in_update": False, "reden_geen_update": "Ouders zien het nut niet."}


def vk_update(toestemming: bool) -> dict:
    return {"veiligheidsafspraken": "Oma is vangnet; ouders bellen de toegang bij zorgen.",
            "toestemming_delen": toestemming}


# --- due dates ------------------------------------------------------------------------------------

DUE_DATES = {
    # einde_maatregel: S1 (12 w), S2 (11 w), S3 (10 w), S4 (8 w), S5 (6 w), S6 (einde)
    "2026-07-03": ["2026-04-10", "2026-04-17", "2026-04-24", "2026-05-08", "2026-05-22", "2026-07-03"],
    # Monday: -10 w = Koningsdag 27/4 and -6 w = Tweede Pinksterdag 25/5, both to the Friday before.
    "2026-07-06": ["2026-04-13", "2026-04-20", "2026-04-24", "2026-05-11", "2026-05-22", "2026-07-06"],
    # Thursday: -6 w = Hemelvaartsdag 14/5, to Wednesday 13/5.
    "2026-06-25": ["2026-04-02", "2026-04-09", "2026-04-16", "2026-04-30", "2026-05-13", "2026-06-25"],
    # Saturday: every step (and einde itself) to the Friday before.
    "2026-07-04": ["2026-04-10", "2026-04-17", "2026-04-24", "2026-05-08", "2026-05-22", "2026-07-03"],
    # Monday: -12 w = Tweede Paasdag 6/4, past the weekend and Goede Vrijdag 3/4 to Thursday 2/4.
    "2026-06-29": ["2026-04-02", "2026-04-13", "2026-04-20", "2026-05-04", "2026-05-18", "2026-06-29"],
    # Tuesday: -8 w = 5 mei (Bevrijdingsdag), to Monday 4/5.
    "2026-06-30": ["2026-04-07", "2026-04-14", "2026-04-21", "2026-05-04", "2026-05-19", "2026-06-30"],
}


# --- every branch and end state -------------------------------------------------------------------

# einde_maatregel, then (nog_jeugdhulp, toets_positief, ouders stemmen in met gesprek, met update,
# toestemming delen). Each path runs on another einde_maatregel, so the due dates of DUE_DATES are
# checked along the way (S4..S6 only where the path gets there).
PATHS = {
    "overdracht_alles_akkoord": ("2026-07-06", (True, True, True, True, True)),
    "overdracht_geen_toestemming_delen": ("2026-06-25", (True, True, True, True, False)),
    "overdracht_geen_gesprek_geen_update": ("2026-06-30", (True, True, False, False, None)),
    "zonder_jeugdhulp_alles_akkoord": ("2026-07-04", (False, True, True, True, True)),
    "zonder_jeugdhulp_geen_gesprek_wel_update_geen_delen": ("2026-06-29", (False, True, False, True, False)),
    "zonder_jeugdhulp_gesprek_geen_update": ("2026-07-03", (False, True, True, False, None)),
    "toets_negatief_met_jeugdhulp": ("2026-07-03", (True, False, None, None, None)),
    "toets_negatief_zonder_jeugdhulp": ("2026-06-29", (False, False, None, None, None)),
}


def expected_end(nog_jeugdhulp, positief) -> str:
    if not positief:
        return "terug_naar_vht_toetsing_negatief"
    return "maatregel_afgesloten_overdracht_toegang" if nog_jeugdhulp else "maatregel_afgesloten_zonder_jeugdhulp"


@pytest.mark.parametrize("path", list(PATHS))
def test_branches_end_states_and_due_dates(service, clock, path):
    einde, (nog_jeugdhulp, positief, gesprek, update, delen) = PATHS[path]
    s1, s2, s3, s4, s5, s6 = (date.fromisoformat(d) for d in DUE_DATES[einde])
    case = start_p5(service, clock, einde)
    assert case.open_ids() == ["Task_Kernbeslissing"]
    assert due_day(case, "Task_Kernbeslissing") == s1
    assert case.sent_messages() == []

    case.complete("Task_Kernbeslissing", KERNBESLISSING, GI)
    # S1 informs the RvdK about the intention straight away.
    assert case.sent_messages() == ["rvdk_voornemen_afsluiten"]
    assert case.open_ids() == ["Task_CasusInbrengenVht"]
    assert due_day(case, "Task_CasusInbrengenVht") == s2
    case.complete("Task_CasusInbrengenVht", INBRENGEN, GI)
    assert case.open_ids() == ["Task_OverdrachtBespreken"]
    assert case.task("Task_OverdrachtBespreken").role == "veiligheidsteam"
    assert due_day(case, "Task_OverdrachtBespreken") == s2
    case.complete("Task_OverdrachtBespreken", bespreking(nog_jeugdhulp), "vera")

    # Step 3 before any handover: "om een kinderbeschermingsmaatregel daadwerkelijk te kunnen
    # afsluiten toetst de RvdK".
    assert case.open_ids() == ["Task_BetekenisvolToetsen"]
    assert case.task("Task_BetekenisvolToetsen").role == "rvdk"
    assert due_day(case, "Task_BetekenisvolToetsen") == s3
    case.complete("Task_BetekenisvolToetsen", toets(positief), "rik")

    if positief and nog_jeugdhulp:  # the gemeentelijke toegang takes over, after the toets
        assert case.open_ids() == ["Task_WarmeOverdrachtRegelen"]
        assert case.task("Task_WarmeOverdrachtRegelen").role == "toegang"
        assert due_day(case, "Task_WarmeOverdrachtRegelen") == s4
        case.complete("Task_WarmeOverdrachtRegelen", WARME_OVERDRACHT, "tom")
    elif positief:  # the VHT looks at wonen, WMO, maatschappelijk werk
        assert case.open_ids() == ["Task_OverigeOndersteuningBekijken"]
        assert case.task("Task_OverigeOndersteuningBekijken").role == "veiligheidsteam"
        assert due_day(case, "Task_OverigeOndersteuningBekijken") == s4
        case.complete("Task_OverigeOndersteuningBekijken", OVERIGE, "vera")

    if not positief:
        # Back to the VeiligheidsTeam, and nothing was handed over to the toegang.
        assert "Task_WarmeOverdrachtRegelen" not in [t.bpmn_id for t in case.service.tasks(
            case_id=case.case_id, state=None)]
    else:
        assert case.open_ids() == ["Task_AfsluitgesprekPlannen"]
        assert due_day(case, "Task_AfsluitgesprekPlannen") == s4
        case.complete("Task_AfsluitgesprekPlannen", plannen(gesprek), GI)
        if gesprek:
            assert case.open_ids() == ["Task_AfsluitgesprekVoeren"]
            assert due_day(case, "Task_AfsluitgesprekVoeren") == s5
            case.complete("Task_AfsluitgesprekVoeren", AFSLUITGESPREK, GI)
        # Without consent there is no conversation: straight on to step 6.
        assert case.open_ids() == ["Task_InstemmingUpdateVragen"]
        assert due_day(case, "Task_InstemmingUpdateVragen") == s6
        case.complete("Task_InstemmingUpdateVragen", instemming_update(update), GI)
        if update:
            assert case.open_ids() == ["Task_VkUpdaten"]
            assert due_day(case, "Task_VkUpdaten") == s6
            case.complete("Task_VkUpdaten", vk_update(delen), GI)

    end = expected_end(nog_jeugdhulp, positief)
    if positief:  # (a negative toets leaves a decision for the VeiligheidsTeam: section 2 of issue 9)
        assert case.open_ids() == []
    instance = next(i for i in case.case().instances if i.process_id == "p5_warme_overdracht")
    assert (instance.status, instance.eindstatus) == ("completed", end)
    assert case.outcomes()[-1] == end
    # The VK goes to the toegang only with the parents' consent to the update and to sharing it.
    shared = bool(positief and update and delen)
    assert case.sent_messages() == ["rvdk_voornemen_afsluiten"] + (["vk_naar_toegang"] if shared else [])
    assert case.signals() == []  # all done on 2 March, long before any deadline
    case.assert_replays()


# --- soft deadlines -------------------------------------------------------------------------------

def test_started_late_every_past_step_is_flagged_and_stays_open(service, clock):
    """G16: einde_maatregel only three weeks ahead; S1..S5 are already past due."""
    now = clock.now()
    case = start_p5(service, clock, "2026-03-23")
    assert due_day(case, "Task_Kernbeslissing") == date(2025, 12, 29)
    assert case.task("Task_Kernbeslissing").due_at < now
    case.move_clock(timedelta(days=1))
    assert case.signals() == ["termijn_overschreden"]
    assert case.open_ids() == ["Task_Kernbeslissing"]  # non-interrupting: the task stays
    case.move_clock(timedelta(days=1))
    assert case.signals() == ["termijn_overschreden"]  # flagged once, not every day

    steps = [
        ("Task_Kernbeslissing", KERNBESLISSING, "Task_CasusInbrengenVht", date(2026, 1, 5)),
        ("Task_CasusInbrengenVht", INBRENGEN, "Task_OverdrachtBespreken", date(2026, 1, 5)),
        ("Task_OverdrachtBespreken", bespreking(True), "Task_BetekenisvolToetsen", date(2026, 1, 12)),
        ("Task_BetekenisvolToetsen", toets(True), "Task_WarmeOverdrachtRegelen", None),
        ("Task_WarmeOverdrachtRegelen", WARME_OVERDRACHT, "Task_AfsluitgesprekPlannen", date(2026, 1, 26)),
        ("Task_AfsluitgesprekPlannen", plannen(True), "Task_AfsluitgesprekVoeren", date(2026, 2, 9)),
    ]
    flagged = 1
    for done, data, nxt, due in steps:
        case.complete(done, data)
        assert case.open_ids() == [nxt]
        case.move_clock(timedelta(days=1))
        if due is not None:  # an S-step with a soft deadline that has passed already
            assert due_day(case, nxt) == due
            assert case.task(nxt).due_at < clock.now()
            flagged += 1
        assert case.signals() == ["termijn_overschreden"] * flagged, f"after {nxt}"
        assert case.open_ids() == [nxt]

    # Step 6 is due on einde_maatregel itself, still ahead: no signal until that day has passed.
    case.complete("Task_AfsluitgesprekVoeren", AFSLUITGESPREK)
    assert due_day(case, "Task_InstemmingUpdateVragen") == date(2026, 3, 23)
    case.move_clock(local(date(2026, 3, 23), time(23, 59)))
    assert case.signals() == ["termijn_overschreden"] * flagged
    case.move_clock(local(date(2026, 3, 24), time(0, 0)))
    assert case.signals() == ["termijn_overschreden"] * (flagged + 1)
    assert case.open_ids() == ["Task_InstemmingUpdateVragen"]

    case.complete("Task_InstemmingUpdateVragen", instemming_update(True))
    case.complete("Task_VkUpdaten", vk_update(True))
    assert case.end_state() == "maatregel_afgesloten_overdracht_toegang"
    assert case.sent_messages() == ["rvdk_voornemen_afsluiten", "vk_naar_toegang"]
    case.assert_replays()


def test_on_time_deadline_passes_only_after_the_end_of_the_day(service, clock):
    case = start_p5(service, clock, "2026-07-03")  # S1 due Friday 10 April, S2 Friday 17 April

    case.move_clock(local(date(2026, 4, 10), time(23, 59)))
    assert case.signals() == []
    assert "timer_fired" not in case.history_types()

    case.move_clock(local(date(2026, 4, 11), time(0, 0)))
    assert case.signals() == ["termijn_overschreden"]
    assert "termijn_kernbeslissing_overschreden" in case.outcomes()  # the signal's name in the history
    assert case.open_ids() == ["Task_Kernbeslissing"]

    # Completed late: the next step has its own deadline, still ahead, so no new signal.
    case.complete("Task_Kernbeslissing", KERNBESLISSING)
    case.complete("Task_CasusInbrengenVht", INBRENGEN)
    assert case.open_ids() == ["Task_OverdrachtBespreken"]
    case.move_clock(local(date(2026, 4, 17), time(23, 59)))
    assert case.signals() == ["termijn_overschreden"]
    case.move_clock(local(date(2026, 4, 18), time(0, 0)))
    assert case.signals() == ["termijn_overschreden"] * 2
    assert "termijn_vht_bespreking_overschreden" in case.outcomes()
    assert case.open_ids() == ["Task_OverdrachtBespreken"]
    assert case.instance().status == "running"
    case.assert_replays()
