"""The overview's selection: a run of months or quarters (Dutch local time), a gemeente, a procedure.

Periods are calendar months or quarters in Europe/Amsterdam; a moment belongs to the period its
local date falls in. The queries filter on UTC instants, so the bounds are converted once here.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, time, timezone

from app.engine.clock import TZ

from ..errors import InvalidInput

GRANULARITIES = {"maand": "Maand", "kwartaal": "Kwartaal"}
DEFAULT_MONTHS = 12
MAX_PERIODS = 60
MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def local_date(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def utc_start(day: date) -> datetime:
    """The instant the local day starts."""
    return datetime.combine(day, time(0, 0), TZ).astimezone(timezone.utc)


@dataclass(frozen=True)
class Filters:
    granularity: str  # maand | kwartaal
    van: date  # first day of the first period
    tot: date  # first day after the last period
    gemeente: str | None = None
    procedure: str | None = None

    @cached_property
    def starts(self) -> list[date]:
        """The first day of each period, in order."""
        step = 3 if self.granularity == "kwartaal" else 1
        days, day = [], self.van
        while day < self.tot:
            days.append(day)
            day = _add_months(day, step)
        return days

    @property
    def utc_from(self) -> datetime:
        return utc_start(self.van)

    @property
    def utc_to(self) -> datetime:
        return utc_start(self.tot)

    def label(self, start: date) -> str:
        if self.granularity == "kwartaal":
            return f"{start.year} K{(start.month - 1) // 3 + 1}"
        return f"{MONTHS[start.month - 1]} {start.year}"

    def labels(self) -> list[str]:
        return [self.label(s) for s in self.starts]

    def index_of_day(self, day: date) -> int | None:
        """The period a local date belongs to (its index), or None outside the selection."""
        if day < self.van or day >= self.tot:
            return None
        return bisect_right(self.starts, day) - 1

    def index_of(self, moment: datetime) -> int | None:
        return self.index_of_day(local_date(moment))

    def bounds_utc(self) -> list[datetime]:
        """UTC instants at which each period of the selection starts."""
        return [utc_start(day) for day in self.starts]

    def month_bounds_utc(self) -> list[datetime]:
        """UTC instants at which each month of the selection starts (for trends per month)."""
        bounds, day = [], self.van
        while day < self.tot:
            bounds.append(utc_start(day))
            day = _add_months(day, 1)
        return bounds

    def month_labels(self) -> list[str]:
        labels, day = [], self.van
        while day < self.tot:
            labels.append(f"{MONTHS[day.month - 1]} {day.year}")
            day = _add_months(day, 1)
        return labels

    def as_args(self) -> dict:
        """The query string that selects this again (links to the cases, the heatmap)."""
        args = {"per": self.granularity, "van": self.van.strftime("%Y-%m"),
                "tot": _add_months(self.tot, -1).strftime("%Y-%m")}
        if self.gemeente:
            args["gemeente"] = self.gemeente
        if self.procedure:
            args["procedure"] = self.procedure
        return args


def _month(value: str, name: str) -> date:
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1990 <= int(match.group(1)) <= 2200:
        raise InvalidInput(f"'{value}' is geen maand: gebruik jjjj-mm, bijvoorbeeld 2026-03.",
                           {name: ["Gebruik jjjj-mm, bijvoorbeeld 2026-03."]})
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse(args, today: date, gemeenten=None, procedures=None) -> Filters:
    """Filters from a query string (per, van, tot as jjjj-mm, gemeente, procedure); InvalidInput in
    Dutch for a wrong value. Without van/tot: the last twelve months up to this one."""
    granularity = (args.get("per") or "maand").strip()
    if granularity not in GRANULARITIES:
        raise InvalidInput("Kies per maand of per kwartaal.", {"per": ["Kies maand of kwartaal."]})
    last = _month(args["tot"], "tot") if (args.get("tot") or "").strip() else _month_start(today)
    first = _month(args["van"], "van") if (args.get("van") or "").strip() else _add_months(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise InvalidInput("De periode 'van' ligt na 'tot'.", {"van": ["Kies een maand vóór of gelijk aan 'tot'."]})
    if granularity == "kwartaal":
        first = date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
        last = date(last.year, (last.month - 1) // 3 * 3 + 1, 1)
        end = _add_months(last, 3)
    else:
        end = _add_months(last, 1)
    if (end.year * 12 + end.month) - (first.year * 12 + first.month) > MAX_PERIODS:
        raise InvalidInput(f"Kies een periode van hoogstens {MAX_PERIODS} maanden.",
                           {"van": [f"Hoogstens {MAX_PERIODS} maanden."]})
    gemeente = (args.get("gemeente") or "").strip() or None
    if gemeente is not None and gemeenten is not None and gemeente not in gemeenten:
        raise InvalidInput(f"Onbekende gemeente '{gemeente[:80]}'.", {"gemeente": ["Kies een gemeente uit de lijst."]})
    procedure = (args.get("procedure") or "").strip() or None
    if procedure is not None and procedures is not None and procedure not in procedures:
        raise InvalidInput(f"Onbekende procedure '{procedure[:120]}'.",
                           {"procedure": ["Kies een procedure uit de lijst."]})
    return Filters(granularity, first, end, gemeente, procedure)

