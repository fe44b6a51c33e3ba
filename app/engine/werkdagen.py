"""Working days: Monday to Friday without the Dutch public holidays and the extra closed days.

The public holidays are those of the Algemene termijnenwet, art. 3 (see shared DOMAIN.md, "Working
days"). We compute them ourselves instead of using PyPI `holidays`: which category that library
puts Goede Vrijdag and 5 mei in has changed between its releases, and a deadline must not move
because a dependency was upgraded. The tests cross-check against it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable

from dateutil.easter import easter

# A guard, not a rule: about four years of working days, far beyond any deadline; an unbounded n
# would let a single expression loop for a long time.
MAX_WERKDAGEN = 1_000


class WerkdagKalender:
    """Answers "is this a working day" and counts working days forwards and backwards."""

    def __init__(self, extra_gesloten: Iterable[date] = ()):
        # Organisation closing days (e.g. the Friday after Hemelvaartsdag), from parameters.json.
        self.extra_gesloten = frozenset(_as_date(d) for d in extra_gesloten)
        self._per_year: dict[int, dict[date, str]] = {}

    def feestdagen(self, year: int) -> dict[date, str]:
        """The public holidays of the Algemene termijnenwet art. 3 in `year`, with their Dutch names."""
        cached = self._per_year.get(year)
        if cached is None:
            cached = self._per_year[year] = _feestdagen(year)
        return dict(cached)

    def is_feestdag(self, d: date) -> bool:
        d = _as_date(d)
        if d.year not in self._per_year:
            self.feestdagen(d.year)
        return d in self._per_year[d.year]

    def is_werkdag(self, d: date) -> bool:
        d = _as_date(d)
        return d.weekday() < 5 and d not in self.extra_gesloten and not self.is_feestdag(d)

    def vorige_werkdag(self, d: date) -> date:
        """`d` itself when it is a working day, else the working day before it."""
        d = _as_date(d)
        while not self.is_werkdag(d):
            d -= timedelta(days=1)
        return d

    def volgende_werkdag(self, d: date) -> date:
        """`d` itself when it is a working day, else the working day after it."""
        d = _as_date(d)
        while not self.is_werkdag(d):
            d += timedelta(days=1)
        return d

    def werkdagen_voor(self, d: date, n: int) -> date:
        """The n-th working day before `d` (`d` itself never counts). n=0: `vorige_werkdag(d)`."""
        return self._step(_as_date(d), n, -1)

    def werkdagen_na(self, d: date, n: int) -> date:
        """The n-th working day after `d` (`d` itself never counts). n=0: `volgende_werkdag(d)`."""
        return self._step(_as_date(d), n, +1)

    def _step(self, d: date, n: int, direction: int) -> date:
        if isinstance(n, bool) or not isinstance(n, int):
            raise ValueError(f"het aantal werkdagen moet een geheel getal zijn, niet {n!r}")
        if not 0 <= n <= MAX_WERKDAGEN:
            raise ValueError(f"het aantal werkdagen moet tussen 0 en {MAX_WERKDAGEN} liggen, niet {n}")
        if n == 0:
            return self.vorige_werkdag(d) if direction < 0 else self.volgende_werkdag(d)
        one_day = timedelta(days=direction)
        while n:
            d += one_day
            if self.is_werkdag(d):
                n -= 1
        return d


def _feestdagen(year: int) -> dict[date, str]:
    pasen = easter(year)  # Western (Gregorian) Easter Sunday, dateutil's default method
    koningsdag = date(year, 4, 27)
    if koningsdag.weekday() == 6:  # on a Sunday, the King's birthday is celebrated the day before
        koningsdag = date(year, 4, 26)
    days: dict[date, str] = {}
    for day, name in [
        (date(year, 1, 1), "Nieuwjaarsdag"),
        (pasen - timedelta(days=2), "Goede Vrijdag"),
        (pasen + timedelta(days=1), "Tweede Paasdag"),
        (koningsdag, "Koningsdag"),
        (date(year, 5, 5), "Bevrijdingsdag"),  # the Atw names "de vijfde mei": every year
        (pasen + timedelta(days=39), "Hemelvaartsdag"),
        (pasen + timedelta(days=50), "Tweede Pinksterdag"),
        (date(year, 12, 25), "Eerste Kerstdag"),
        (date(year, 12, 26), "Tweede Kerstdag"),
    ]:
        # Hemelvaartsdag can fall on 5 May (2005, 2016): keep both names.
        days[day] = f"{days[day]} en {name}" if day in days else name
    return days


def _as_date(d) -> date:
    # datetime is a subclass of date and never equals one: a day calendar compares plain dates.
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    raise TypeError(f"verwacht een datum, niet {d!r}")
