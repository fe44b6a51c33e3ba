"""Working days on fixed dates (Algemene termijnenwet art. 3 plus extra closed days)."""
from datetime import date, datetime

import pytest

from app.engine.werkdagen import MAX_WERKDAGEN, WerkdagKalender

K = WerkdagKalender()


def test_feestdagen_2026_names_and_dates():
    assert K.feestdagen(2026) == {
        date(2026, 1, 1): "Nieuwjaarsdag",
        date(2026, 4, 3): "Goede Vrijdag",
        date(2026, 4, 6): "Tweede Paasdag",
        date(2026, 4, 27): "Koningsdag",
        date(2026, 5, 5): "Bevrijdingsdag",
        date(2026, 5, 14): "Hemelvaartsdag",
        date(2026, 5, 25): "Tweede Pinksterdag",
        date(2026, 12, 25): "Eerste Kerstdag",
        date(2026, 12, 26): "Tweede Kerstdag",
    }


@pytest.mark.parametrize("year, goede_vrijdag, tweede_paasdag, hemelvaart, tweede_pinksterdag", [
    (2025, date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 29), date(2025, 6, 9)),
    (2026, date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)),
    (2027, date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)),
])
def test_easter_based_days(year, goede_vrijdag, tweede_paasdag, hemelvaart, tweede_pinksterdag):
    days = K.feestdagen(year)
    assert days[goede_vrijdag] == "Goede Vrijdag"
    assert days[tweede_paasdag] == "Tweede Paasdag"
    assert days[hemelvaart] == "Hemelvaartsdag"
    assert days[tweede_pinksterdag] == "Tweede Pinksterdag"


def test_koningsdag_moves_to_saturday_26_april_when_27th_is_a_sunday():
    assert date(2025, 4, 27).weekday() == 6
    assert K.feestdagen(2025)[date(2025, 4, 26)] == "Koningsdag"
    assert date(2025, 4, 27) not in K.feestdagen(2025)
    assert K.feestdagen(2031)[date(2031, 4, 26)] == "Koningsdag"  # 27 April 2031 is a Sunday too
    assert K.feestdagen(2026)[date(2026, 4, 27)] == "Koningsdag"  # a Monday: stays


def test_vijf_mei_every_year_not_only_lustrum_years():
    for year in (2024, 2025, 2026, 2027, 2030):
        assert K.feestdagen(year)[date(year, 5, 5)] == "Bevrijdingsdag"
    assert not K.is_werkdag(date(2026, 5, 5))  # a Tuesday


def test_hemelvaart_on_5_mei_keeps_both_names():
    assert K.feestdagen(2016)[date(2016, 5, 5)] == "Bevrijdingsdag en Hemelvaartsdag"
    assert len(K.feestdagen(2016)) == 8


def test_feestdagen_returns_a_copy():
    K.feestdagen(2026).clear()
    assert len(K.feestdagen(2026)) == 9


def test_is_werkdag():
    assert K.is_werkdag(date(2026, 4, 28))       # Tuesday
    assert not K.is_werkdag(date(2026, 4, 27))   # Koningsdag
    assert not K.is_werkdag(date(2026, 4, 25))   # Saturday
    assert not K.is_werkdag(date(2026, 4, 26))   # Sunday
    assert K.is_werkdag(datetime(2026, 4, 28, 23, 0))  # a datetime counts as its day


def test_three_working_days_before_tuesday_after_koningsdag():
    # Tue 28 Apr 2026 -> Mon 27 (Koningsdag) skipped -> Fri 24, Thu 23, Wed 22.
    assert K.werkdagen_voor(date(2026, 4, 28), 3) == date(2026, 4, 22)
    assert K.werkdagen_voor(date(2026, 4, 28), 1) == date(2026, 4, 24)


def test_werkdagen_voor_over_easter_2026():
    # Wed 8 Apr: Tue 7 (1), [Mon 6 Tweede Paasdag, weekend, Fri 3 Goede Vrijdag], Thu 2 (2), Wed 1 (3)
    assert K.werkdagen_voor(date(2026, 4, 8), 3) == date(2026, 4, 1)


def test_werkdagen_voor_over_5_mei_and_hemelvaart_2026():
    assert K.werkdagen_voor(date(2026, 5, 6), 1) == date(2026, 5, 4)  # Tue 5 May skipped
    assert K.werkdagen_voor(date(2026, 5, 18), 3) == date(2026, 5, 12)  # Fri 15, [Thu 14 Hemelvaart], Wed 13, Tue 12


def test_christmas_and_new_year_crossing():
    # Mon 4 Jan 2027: Fri 1 Jan (Nieuwjaarsdag) and the weekend skipped -> Thu 31, Wed 30, Tue 29 Dec 2026.
    assert K.werkdagen_voor(date(2027, 1, 4), 3) == date(2026, 12, 29)
    # Thu 24 Dec 2026 + 1: Fri 25 and Sat 26 (Kerst), Sun 27 -> Mon 28 Dec.
    assert K.werkdagen_na(date(2026, 12, 24), 1) == date(2026, 12, 28)
    # Thu 31 Dec 2026 + 1: Fri 1 Jan 2027 Nieuwjaarsdag, weekend -> Mon 4 Jan 2027.
    assert K.werkdagen_na(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_n_zero():
    assert K.werkdagen_voor(date(2026, 4, 28), 0) == date(2026, 4, 28)   # a working day: itself
    assert K.werkdagen_voor(date(2026, 4, 27), 0) == date(2026, 4, 24)   # Koningsdag -> Fri before
    assert K.werkdagen_na(date(2026, 4, 25), 0) == date(2026, 4, 28)     # Sat -> Tue (Mon is Koningsdag)


def test_counting_from_a_non_working_day():
    # From Saturday 25 April 2026 the first working day before is Friday 24.
    assert K.werkdagen_voor(date(2026, 4, 25), 1) == date(2026, 4, 24)
    assert K.werkdagen_na(date(2026, 4, 25), 1) == date(2026, 4, 28)


def test_vorige_en_volgende_werkdag():
    assert K.vorige_werkdag(date(2026, 4, 28)) == date(2026, 4, 28)
    assert K.vorige_werkdag(date(2026, 4, 27)) == date(2026, 4, 24)
    assert K.vorige_werkdag(date(2026, 12, 27)) == date(2026, 12, 24)  # Sun after Kerst -> Thu 24
    assert K.volgende_werkdag(date(2026, 12, 25)) == date(2026, 12, 28)


def test_extra_gesloten_days():
    vrijdag_na_hemelvaart = date(2026, 5, 15)
    k = WerkdagKalender(extra_gesloten=[vrijdag_na_hemelvaart, datetime(2026, 12, 31, 9, 0)])
    assert not k.is_werkdag(vrijdag_na_hemelvaart)
    assert not k.is_werkdag(date(2026, 12, 31))
    assert vrijdag_na_hemelvaart not in k.feestdagen(2026)  # closed, but not a public holiday
    # Mon 18 May: Fri 15 closed, Thu 14 Hemelvaart -> Wed 13, Tue 12, Mon 11.
    assert k.werkdagen_voor(date(2026, 5, 18), 3) == date(2026, 5, 11)
    assert K.werkdagen_voor(date(2026, 5, 18), 3) == date(2026, 5, 12)  # without them


def test_werkdagen_na_is_inverse_of_voor_between_working_days():
    start = date(2026, 4, 22)
    for n in range(0, 40):
        assert K.werkdagen_voor(K.werkdagen_na(start, n), n) == start


@pytest.mark.parametrize("n", [-1, 1.5, True, "3", MAX_WERKDAGEN + 1])
def test_bad_n_is_refused(n):
    with pytest.raises(ValueError, match="werkdagen"):
        K.werkdagen_voor(date(2026, 4, 28), n)


def test_not_a_date_is_refused():
    with pytest.raises(TypeError):
        K.is_werkdag("2026-04-28")


# --- cross-check with PyPI `holidays` -------------------------------------------------------------

def _holidays_nl(year):
    holidays = pytest.importorskip("holidays")
    # Which category holds Goede Vrijdag and Bevrijdingsdag has changed between releases (public vs
    # optional), so ask for every category this release has and compare on what it lists.
    categories = getattr(holidays.NL, "supported_categories", ("public",))
    return holidays.NL(years=year, categories=categories)


@pytest.mark.parametrize("year", range(2020, 2036))
def test_cross_check_with_holidays_library(year):
    ours = K.feestdagen(year)
    theirs = _holidays_nl(year)
    # Every day we call a public holiday, the library lists too.
    assert set(ours) <= set(theirs), sorted(set(ours) - set(theirs))
    # What the library lists beyond ours are the Sundays (Eerste Paas-/Pinksterdag): no working days anyway.
    extra = set(theirs) - set(ours)
    assert all(d.weekday() == 6 for d in extra), sorted(extra)
    # So both agree on which weekdays are holidays.
    assert {d for d in ours if d.weekday() < 5} == {d for d in theirs if d.weekday() < 5}
