"""The helpers of processes/README.md on fixed dates and a fixed clock."""
from datetime import date, datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.engine import clock
from app.engine.clock import TZ, FixedClock
from app.engine.expressions import ExpressieFout
from app.engine.helpers import HELPER_NAMES, make_helpers
from app.engine.werkdagen import WerkdagKalender

H = make_helpers(WerkdagKalender())


def test_every_readme_helper_is_there():
    assert set(H) == set(HELPER_NAMES) == {
        "werkdagen_voor", "werkdagen_na", "weken_voor", "dagen_na", "einde_dag", "om", "minuten_voor",
        "leeftijd_op", "jongste_leeftijd_op", "oudste_leeftijd_op", "achttiende_verjaardag",
        "vandaag", "nu", "instelling", "vk_zonder_email", "gekozen",
    }


@pytest.mark.parametrize("datum", ["2026-04-28", date(2026, 4, 28), datetime(2026, 4, 28, 14, 0),
                                   datetime(2026, 4, 28, 12, 0, tzinfo=timezone.utc),
                                   "2026-04-28T14:00:00+02:00", "2026-04-27T23:30:00Z", " 2026-04-28 "])
def test_inputs_may_be_iso_strings_dates_or_datetimes(datum):
    # 2026-04-27T23:30Z is 01:30 on the 28th in Amsterdam: the local day counts.
    assert H["werkdagen_voor"](datum, 3) == "2026-04-22"


# --- working days ----------------------------------------------------------------------------------

def test_werkdagen_voor_en_na():
    assert H["werkdagen_voor"]("2026-04-28", 3) == "2026-04-22"   # Koningsdag Mon 27 skipped
    assert H["werkdagen_voor"]("2026-04-27", 0) == "2026-04-24"
    assert H["werkdagen_na"]("2026-04-24", 1) == "2026-04-28"
    assert H["werkdagen_na"]("2026-12-24", 2) == "2026-12-29"


def test_extra_closed_days_reach_the_helpers():
    h = make_helpers(WerkdagKalender(extra_gesloten=[date(2026, 5, 15)]))
    assert h["werkdagen_na"]("2026-05-13", 1) == "2026-05-18"  # Thu 14 Hemelvaart, Fri 15 closed


def test_weken_voor_moves_to_previous_working_day():
    assert H["weken_voor"]("2026-05-12", 2) == "2026-04-28"   # lands on a Tuesday: stays
    assert H["weken_voor"]("2026-05-11", 2) == "2026-04-24"   # Mon 27 Apr is Koningsdag -> Fri 24
    assert H["weken_voor"]("2026-05-09", 1) == "2026-05-01"   # Sat 2 May -> Fri 1 May
    assert H["weken_voor"]("2026-05-12", 1) == "2026-05-04"   # Tue 5 May (Bevrijdingsdag) -> Mon 4
    assert H["weken_voor"]("2026-05-12", 0) == "2026-05-12"


@pytest.mark.parametrize("helper", ["werkdagen_voor", "werkdagen_na", "weken_voor"])
@pytest.mark.parametrize("n", [-1, 1.5, True, "3", None, 10_001])
def test_bad_counts_are_refused(helper, n):
    with pytest.raises(ExpressieFout, match="n moet"):
        H[helper]("2026-04-28", n)


def test_working_day_counts_are_bounded():
    assert H["werkdagen_na"]("2026-01-01", 1_000) > "2029-"
    with pytest.raises(ExpressieFout, match="tussen 0 en 1000"):
        H["werkdagen_voor"]("2026-04-28", 1_001)


# --- calendar days and moments -------------------------------------------------------------------

def test_dagen_na():
    assert H["dagen_na"]("2026-04-28", 3) == "2026-05-01"
    assert H["dagen_na"](date(2026, 12, 31), 1) == "2027-01-01"
    assert H["dagen_na"]("2026-04-28", -28) == "2026-03-31"
    assert H["dagen_na"]("2026-04-28", 0) == "2026-04-28"


def test_dagen_na_of_a_moment_keeps_the_local_clock_time_across_dst():
    # Summer time starts on Sunday 29 March 2026.
    assert H["dagen_na"]("2026-03-28T09:00:00+01:00", 1) == "2026-03-29T09:00:00+02:00"
    assert H["dagen_na"](datetime(2026, 4, 28, 9, 0), 2) == "2026-04-30T09:00:00+02:00"


def test_einde_dag():
    assert H["einde_dag"]("2026-04-22") == "2026-04-22T23:59:59+02:00"   # summer time
    assert H["einde_dag"]("2026-01-15") == "2026-01-15T23:59:59+01:00"   # winter time
    assert H["einde_dag"]("2026-04-22T22:30:00Z") == "2026-04-23T23:59:59+02:00"  # 00:30 local on the 23rd
    assert H["einde_dag"](H["werkdagen_voor"]("2026-04-28", 3)) == "2026-04-22T23:59:59+02:00"


def test_om():
    assert H["om"]("2026-04-28", "09:30") == "2026-04-28T09:30:00+02:00"
    assert H["om"](date(2026, 12, 1), "00:00") == "2026-12-01T00:00:00+01:00"
    assert H["om"]("2026-04-28T18:00:00+02:00", "23:59") == "2026-04-28T23:59:00+02:00"
    # 02:30 does not exist on 29 March 2026 (clocks jump from 02:00 to 03:00): the real instant.
    assert H["om"]("2026-03-29", "02:30") == "2026-03-29T03:30:00+02:00"


@pytest.mark.parametrize("tijd", ["9:30", "24:00", "12:60", "0930", 930, None, "09:30:00"])
def test_om_refuses_bad_times(tijd):
    with pytest.raises(ExpressieFout, match="UU:MM"):
        H["om"]("2026-04-28", tijd)


def test_minuten_voor():
    assert H["minuten_voor"]("2026-04-28T09:30:00+02:00", 30) == "2026-04-28T09:00:00+02:00"
    assert H["minuten_voor"]("2026-04-28T07:30:00Z", 90) == "2026-04-28T08:00:00+02:00"  # written locally
    assert H["minuten_voor"]("2026-04-28", 15) == "2026-04-27T23:45:00+02:00"  # a day starts at 00:00
    # Across the DST jump these are real minutes: 03:10 CEST minus 20 minutes is 01:50 CET.
    assert H["minuten_voor"]("2026-03-29T03:10:00+02:00", 20) == "2026-03-29T01:50:00+01:00"
    assert H["minuten_voor"](H["om"]("2026-04-28", "10:00"), 24 * 60) == "2026-04-27T10:00:00+02:00"


# --- ages ----------------------------------------------------------------------------------------

def test_leeftijd_op():
    assert H["leeftijd_op"]("2008-06-15", "2026-06-14") == 17
    assert H["leeftijd_op"]("2008-06-15", "2026-06-15") == 18
    assert H["leeftijd_op"](date(2008, 6, 15), datetime(2026, 6, 15, 0, 5, tzinfo=TZ)) == 18
    assert H["leeftijd_op"]("2026-01-01", "2026-12-31") == 0


def test_born_on_29_february():
    # Documented choice: in a non-leap year the birthday is 1 March.
    assert H["leeftijd_op"]("2008-02-29", "2026-02-28") == 17
    assert H["leeftijd_op"]("2008-02-29", "2026-03-01") == 18
    assert H["leeftijd_op"]("2008-02-29", "2028-02-28") == 19
    assert H["leeftijd_op"]("2008-02-29", "2028-02-29") == 20
    assert H["achttiende_verjaardag"]("2008-02-29") == "2026-03-01"
    assert H["achttiende_verjaardag"]("2012-02-29") == "2030-03-01"
    assert H["achttiende_verjaardag"]("2016-02-29") == "2034-03-01"


def test_achttiende_verjaardag():
    assert H["achttiende_verjaardag"]("2008-06-15") == "2026-06-15"
    assert H["achttiende_verjaardag"](datetime(2010, 3, 1, 12, 0)) == "2028-03-01"


def test_achttiende_verjaardag_and_leeftijd_op_agree_every_day():
    day = date(2004, 1, 1)
    while day < date(2013, 1, 1):
        verjaardag = H["achttiende_verjaardag"](day)
        assert H["leeftijd_op"](day, verjaardag) == 18
        assert H["leeftijd_op"](day, date.fromisoformat(verjaardag) - timedelta(days=1)) == 17
        day += timedelta(days=1)


JEUGDIGEN = [{"naam": "A", "geboortedatum": "2010-03-01"}, {"naam": "B", "geboortedatum": "2008-06-15"},
             {"naam": "C", "geboortedatum": date(2019, 12, 31)}]


def test_jongste_en_oudste_leeftijd_op():
    assert H["jongste_leeftijd_op"](JEUGDIGEN, "2026-06-15") == 6
    assert H["oudste_leeftijd_op"](JEUGDIGEN, "2026-06-15") == 18
    assert H["oudste_leeftijd_op"](JEUGDIGEN, "2026-06-14") == 17
    assert H["oudste_leeftijd_op"](["2008-06-15", date(2010, 1, 1)], "2026-06-15") == 18  # plain dates too


def test_empty_list_of_jeugdigen_gives_none():
    assert H["jongste_leeftijd_op"]([], "2026-06-15") is None
    assert H["oudste_leeftijd_op"]([], "2026-06-15") is None


def test_jeugdige_without_geboortedatum_is_an_error():
    with pytest.raises(ExpressieFout, match="jeugdige 2 heeft geen geboortedatum"):
        H["oudste_leeftijd_op"]([{"geboortedatum": "2010-01-01"}, {"naam": "X"}], "2026-06-15")
    with pytest.raises(ExpressieFout, match="lijst van jeugdigen"):
        H["oudste_leeftijd_op"]("2010-01-01", "2026-06-15")


# --- clock ---------------------------------------------------------------------------------------

def test_vandaag_en_nu_follow_the_engine_clock():
    with clock.active(FixedClock(datetime(2026, 4, 28, 23, 30, tzinfo=TZ))):
        assert H["vandaag"]() == "2026-04-28"
        assert H["nu"]() == "2026-04-28T23:30:00+02:00"
    # 22:30 UTC is already the next day in Amsterdam.
    with clock.active(FixedClock(datetime(2026, 4, 28, 22, 30, tzinfo=timezone.utc))):
        assert H["vandaag"]() == "2026-04-29"
        assert H["nu"]() == "2026-04-29T00:30:00+02:00"
    with clock.active(FixedClock(datetime(2026, 1, 5, 8, 0))):  # naive = Amsterdam
        assert H["nu"]() == "2026-01-05T08:00:00+01:00"


def test_a_moved_clock_is_seen_by_existing_helpers():
    fixed = FixedClock(datetime(2026, 4, 28, 9, 0, tzinfo=TZ))
    with clock.active(fixed):
        assert H["vandaag"]() == "2026-04-28"
        fixed.advance(timedelta(days=1))
        assert H["vandaag"]() == "2026-04-29"


# --- settings ------------------------------------------------------------------------------------

def test_instelling():
    h = make_helpers(WerkdagKalender(), {"instellingen": {"werkdagen_vk": 3, "leeftijdsgrens": 18}})
    assert h["instelling"]("werkdagen_vk") == 3
    with pytest.raises(ExpressieFout, match="onbekende instelling 'werkdagen'; bekend zijn: leeftijdsgrens, werkdagen_vk"):
        h["instelling"]("werkdagen")


def test_instelling_without_settings_in_the_case():
    for context in (None, {}, {"instellingen": "kapot"}):
        with pytest.raises(ExpressieFout, match="geen instellingen"):
            make_helpers(WerkdagKalender(), context)["instelling"]("x")


def test_gekozen_is_the_chosen_person_or_none_for_the_role():
    h = make_helpers(WerkdagKalender(), {"toegang_gebruiker": "tom", "netwerkpartner_gebruikers": ["nina", "piet"],
                                         "voorzitter_gebruiker": "", "gi_gebruiker": None})
    assert h["gekozen"]("toegang_gebruiker") == "tom"
    assert h["gekozen"]("netwerkpartner_gebruikers") == "nina"  # the first chosen one gets the step
    assert [h["gekozen"](n) for n in ("voorzitter_gebruiker", "gi_gebruiker", "zorg_gebruikers")] == [None] * 3
    with pytest.raises(ExpressieFout, match="_gebruiker"):
        h["gekozen"]("voorzitter_naam")


def test_vk_zonder_email_names_whom_the_inbrenger_hands_the_card():
    data = {"ouders": [{"naam": "Moeder", "contact": "moeder@example.org"}, {"naam": "Vader", "contact": "0612345678"}],
            "deelnemers": [{"naam": "Jan", "rol": "netwerkpartner", "email": "jan@"}],
            "verzendlijst_definitief": [{"naam": "Oma", "rol": "familie", "email": "oma@example.org"}]}
    h = make_helpers(WerkdagKalender(), data)
    assert h["vk_zonder_email"]("verzendlijst_definitief") == ["Vader (ouder)", "Jan (netwerkpartner)"]
    assert h["vk_zonder_email"]("nooit_ingevuld") == ["Vader (ouder)", "Jan (netwerkpartner)"]


# --- input errors and output format --------------------------------------------------------------

@pytest.mark.parametrize("bad", ["morgen", "28-04-2026", "2026-02-30", "", 20260428, [2026, 4, 28]])
def test_bad_dates_are_refused_in_dutch(bad):
    with pytest.raises(ExpressieFout, match="datum"):
        H["einde_dag"](bad)


def test_none_as_date_says_so():
    with pytest.raises(ExpressieFout, match="geen datum .*None"):
        H["werkdagen_voor"](None, 3)


def test_results_are_json_safe_iso_strings_that_spiffworkflow_can_use():
    results = [
        H["werkdagen_voor"]("2026-04-28", 3), H["dagen_na"]("2026-04-28", 1), H["einde_dag"]("2026-04-28"),
        H["om"]("2026-04-28", "09:00"), H["minuten_voor"]("2026-04-28T09:00:00+02:00", 5),
        H["achttiende_verjaardag"]("2008-06-15"), H["dagen_na"]("2026-04-28T09:00:00+02:00", 1),
    ]
    with clock.active(FixedClock(datetime(2026, 4, 28, 9, 0, tzinfo=TZ))):
        results += [H["vandaag"](), H["nu"]()]
    for value in results:
        assert isinstance(value, str)
        datetime.fromisoformat(value)
        TimerEventDefinition.get_datetime(value)   # what a timeDate does with it
    moments = [v for v in results if "T" in v]
    assert all(datetime.fromisoformat(v).tzinfo is not None for v in moments)


def test_a_case_counts_with_the_closing_days_it_started_with():
    """Extra closing days come from the case's own settings, so they can differ per case."""
    from app.engine.expressions import SandboxEnvironment

    env = SandboxEnvironment(WerkdagKalender())
    plain = {"instellingen": {"extra_sluitingsdagen": []}, "d": "2026-05-18"}
    closed = {"instellingen": {"extra_sluitingsdagen": ["2026-05-15"]}, "d": "2026-05-18"}
    # 14 May 2026 is Hemelvaartsdag; the Friday after it is a common closing day.
    assert env.evaluate("werkdagen_voor(d, 1)", plain) == "2026-05-15"
    assert env.evaluate("werkdagen_voor(d, 1)", closed) == "2026-05-13"
