"""The warehouse's working days: Monday to Friday, minus the public holidays where it is.

A dispatch promise counted over Easter Monday or Christmas would name a day nobody packs
parcels, so holidays come from the ``holidays`` package for the region the policy file
names (``warehouse.holidays``: an ISO 3166 country code such as ``GB``, optionally with a
subdivision, ``GB-ENG``).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

SATURDAY = 5


def check_region(code: str) -> str:
    """``code`` normalised ("gb-eng" -> "GB-ENG"); raises ValueError naming what is wrong."""
    country, _, subdivision = code.strip().upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"{country!r} is not a country the holidays package knows")
    if subdivision and subdivision not in supported[country]:
        choices = ", ".join(f"{country}-{s}" for s in supported[country])
        raise ValueError(f"{code!r} is not a subdivision of {country} (one of: {choices})")
    return f"{country}-{subdivision}" if subdivision else country


@lru_cache(maxsize=8)
def _calendar(region: str) -> holidays.HolidayBase:
    # Built once per region; it fills in each year the first time a date in it is asked.
    country, _, subdivision = region.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None)


def is_working_day(day: date, region: str | None) -> bool:
    """True from Monday to Friday unless ``day`` is a public holiday in ``region``."""
    if day.weekday() >= SATURDAY:
        return False
    return region is None or day not in _calendar(region)


def add_working_days(day: date, days: int, region: str | None = None) -> date:
    """``day`` moved forward by ``days`` working days (see ``is_working_day``)."""
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day, region):
            days -= 1
    return day
