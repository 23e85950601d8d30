"""The demo shop's calendar: its sale days fall where the real ones do."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from demo_shop.calendar import ShopCalendar, black_friday, cyber_monday, special_day_factor

# Black Friday is the day after US Thanksgiving (the fourth Thursday of November).
BLACK_FRIDAYS = {
    2019: date(2019, 11, 29), 2020: date(2020, 11, 27), 2021: date(2021, 11, 26),
    2022: date(2022, 11, 25), 2023: date(2023, 11, 24), 2024: date(2024, 11, 29),
    2025: date(2025, 11, 28), 2026: date(2026, 11, 27), 2030: date(2030, 11, 29),
}  # fmt: skip
CYBER_MONDAYS = {
    2019: date(2019, 12, 2), 2020: date(2020, 11, 30), 2021: date(2021, 11, 29),
    2022: date(2022, 11, 28), 2023: date(2023, 11, 27), 2024: date(2024, 12, 2),
    2025: date(2025, 12, 1), 2026: date(2026, 11, 30), 2030: date(2030, 12, 2),
}  # fmt: skip


@pytest.mark.parametrize(("year", "day"), sorted(BLACK_FRIDAYS.items()))
def test_black_friday_is_the_day_after_the_fourth_thursday_of_november(year, day):
    assert black_friday(year) == day


@pytest.mark.parametrize(("year", "day"), sorted(CYBER_MONDAYS.items()))
def test_cyber_monday_is_the_monday_after_black_friday(year, day):
    assert cyber_monday(year) == day


@pytest.mark.parametrize("year", sorted(BLACK_FRIDAYS))
def test_only_the_real_sale_days_of_a_year_get_the_sale_boost(year):
    boosted = {
        day: factor
        for day in (
            date.fromordinal(n)
            for n in range(date(year, 11, 1).toordinal(), date(year, 12, 8).toordinal())
        )
        if (factor := special_day_factor(day)) > 1.5
    }
    assert boosted == {BLACK_FRIDAYS[year]: 2.5, CYBER_MONDAYS[year]: 1.8}


def test_black_friday_2024_draws_more_orders_than_the_friday_before():
    # 2024 is one of the years whose sale days the calendar used to put a week early.
    calendar = ShopCalendar(now=datetime(2025, 6, 30, 12), days=365)
    rng = random.Random(7)
    days = [
        calendar.sample_time(rng, datetime(2024, 11, 18), datetime(2024, 12, 1)).date()
        for _ in range(4000)
    ]
    assert days.count(date(2024, 11, 29)) > 2 * days.count(date(2024, 11, 22))
