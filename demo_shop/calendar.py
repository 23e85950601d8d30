"""When demo customers shop: seasonality, weekday and time-of-day patterns.

The simulated year has a November/December peak (Black Friday, the run-up to Christmas,
a lull over Christmas itself), a summer peak for garden products, busier Sundays and
Mondays, and lunchtime and evening peaks within a day.
"""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import date, datetime, timedelta

# Number tables read best as rows:
# fmt: off
MONTH_FACTOR = {1: 0.75, 2: 0.72, 3: 0.85, 4: 0.95, 5: 1.0, 6: 1.05, 7: 1.0, 8: 0.92,
                9: 0.95, 10: 1.05, 11: 1.55, 12: 1.7}
WEEKDAY_FACTOR = (1.1, 1.0, 1.0, 1.0, 0.9, 0.85, 1.15)  # Monday first
GARDEN_MONTH_FACTOR = {1: 0.3, 2: 0.4, 3: 0.9, 4: 1.8, 5: 2.4, 6: 2.5, 7: 2.2, 8: 1.6,
                       9: 0.9, 10: 0.5, 11: 0.3, 12: 0.25}
# How much more likely a category is to be chosen in a month than usual.
CATEGORY_MONTH_FACTOR = {
    "garden": GARDEN_MONTH_FACTOR,
    "gifts": {11: 1.8, 12: 2.4},
    "toys": {11: 1.8, 12: 2.6},
    "jewellery": {2: 1.6, 11: 1.4, 12: 1.9},
    "lighting": {10: 1.3, 11: 1.4, 12: 1.3},
}
HOUR_WEIGHTS = (0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1.0, 1.1, 1.2, 1.3, 1.6, 1.5,
                1.2, 1.1, 1.1, 1.2, 1.5, 1.9, 2.0, 1.7, 1.1, 0.5)
# fmt: on
_HOUR_CUMULATIVE = list(itertools.accumulate(HOUR_WEIGHTS))


def black_friday(year: int) -> date:
    """The day after US Thanksgiving, which is the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=3, days=1)


def cyber_monday(year: int) -> date:
    """The Monday after Black Friday (in December when Black Friday is on the 29th)."""
    return black_friday(year) + timedelta(days=3)


def special_day_factor(day: date) -> float:
    """How much busier ``day`` is than its month and weekday alone say (sales, Christmas)."""
    if day.month == 12 and day.day in (24, 25, 26):
        return 0.35
    # Not "a Friday between the 22nd and 28th": Thanksgiving can fall on the 28th.
    if day == black_friday(day.year):
        return 2.5
    if day == cyber_monday(day.year):
        return 1.8
    if day.month == 12 and day.day <= 18:  # last posting days before Christmas
        return 1.15
    return 1.0


class ShopCalendar:
    """The simulated period (``days`` ending at ``now``) and draws of shopping times in it."""

    def __init__(self, now: datetime, days: int) -> None:
        self.now = now.replace(microsecond=0)
        self.start = self.now - timedelta(days=days)
        self._first_day = datetime.combine(self.start.date(), datetime.min.time())
        n_days = (self.now.date() - self.start.date()).days + 1
        self._days = [self._first_day + timedelta(days=i) for i in range(n_days)]
        base = [
            MONTH_FACTOR[d.month] * WEEKDAY_FACTOR[d.weekday()] * special_day_factor(d.date())
            for d in self._days
        ]
        garden = [w * GARDEN_MONTH_FACTOR[d.month] for w, d in zip(base, self._days, strict=True)]
        self._cumulative = {
            "base": [0.0, *itertools.accumulate(base)],
            "garden": [0.0, *itertools.accumulate(garden)],
        }

    def day_index(self, moment: datetime) -> int:
        """Index of the calendar day of ``moment`` (clamped to the period)."""
        return min(len(self._days) - 1, max(0, (moment - self._first_day).days))

    def sample_time(
        self, rng: random.Random, low: datetime, high: datetime, garden_share: float = 0.0
    ) -> datetime:
        """A shopping moment in [low, high], following the seasonal and daily patterns."""
        if high <= low:
            return low.replace(microsecond=0)
        cumulative = self._cumulative["garden" if rng.random() < garden_share else "base"]
        first, last = self.day_index(low), self.day_index(high)
        for _ in range(6):
            u = rng.uniform(cumulative[first], cumulative[last + 1])
            day = min(last, max(first, bisect.bisect_right(cumulative, u) - 1))
            hour = bisect.bisect_right(_HOUR_CUMULATIVE, rng.uniform(0, _HOUR_CUMULATIVE[-1]))
            moment = self._days[day] + timedelta(
                hours=min(hour, 23), minutes=rng.randrange(60), seconds=rng.randrange(60)
            )
            if low <= moment <= high:
                return moment
        # A narrow window the patterns rarely hit: fall back to a uniform moment in it.
        return (low + (high - low) * rng.random()).replace(microsecond=0)

    @staticmethod
    def category_factor(category: str, moment: datetime) -> float:
        """How much more a category sells in the month of ``moment`` than on average."""
        return CATEGORY_MONTH_FACTOR.get(category, {}).get(moment.month, 1.0)
