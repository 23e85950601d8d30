"""Chart geometry for the results page, computed here and drawn as inline SVG by the template.

No JavaScript and no chart library: the server works out every coordinate, so the charts
render under the strict content security policy and can be tested as plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from promotions.results import ArmResult
from promotions.timeline import DayCounts

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Tick:
    """An axis label at a position."""

    at: float
    label: str


@dataclass(frozen=True)
class Bar:
    """A bar of the timeline (customers newly shown the offer on one day)."""

    x: float
    y: float
    width: float
    height: float
    value: int
    title: str


@dataclass(frozen=True)
class Point:
    """A point of the conversions line."""

    x: float
    y: float
    value: int


@dataclass(frozen=True)
class TimelineChart:
    """Exposures per day as bars and conversions per day as a line."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    bars: tuple[Bar, ...]
    points: tuple[Point, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]

    @property
    def line(self) -> str:
        """The conversions line as an SVG ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class IntervalRow:
    """One arm's conversion rate as a bar with its 95% interval as a whisker."""

    label: str
    y: float
    bar_width: float
    low_x: float
    high_x: float
    rate: float
    low: float
    high: float
    customers: int
    is_control: bool


@dataclass(frozen=True)
class IntervalChart:
    """Conversion rate by arm, with intervals."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    row_height: float
    rows: tuple[IntervalRow, ...]
    x_ticks: tuple[Tick, ...]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k not below ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value - 1e-12:
            return step * power
    return 10 * power


def timeline_chart(days: Sequence[DayCounts]) -> TimelineChart | None:
    """Bars of customers newly shown the offer and the line of conversions, per day."""
    if not days:
        return None
    top = nice_ceiling(max(max(d.exposed, d.converted) for d in days))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)

    def y_of(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    bars, points = [], []
    for i, d in enumerate(days):
        x = LEFT + i * slot
        height = d.exposed / top * plot_h
        bars.append(
            Bar(
                x=x + slot * 0.15,
                y=TOP + plot_h - height,
                width=max(slot * 0.7, 1.0),
                height=height,
                value=d.exposed,
                title=f"{d.day.isoformat()}: {d.exposed} shown the offer, {d.converted} converted",
            )
        )
        points.append(Point(x + slot / 2, y_of(d.converted), d.converted))
    y_ticks = tuple(Tick(y_of(top * f), _count(top * f)) for f in (0, 0.5, 1))
    every = max(1, math.ceil(len(days) / MAX_X_LABELS))
    x_ticks = tuple(
        Tick(LEFT + i * slot + slot / 2, f"{d.day:%d %b}")
        for i, d in enumerate(days)
        if i % every == 0
    )
    return TimelineChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=TOP + plot_h,
        bars=tuple(bars),
        points=tuple(points),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
    )


def interval_chart(arms: Sequence[ArmResult]) -> IntervalChart | None:
    """Conversion rate per arm that has customers, each with its 95% interval."""
    shown = [a for a in arms if a.customers]
    if not shown:
        return None
    top = nice_ceiling(max(a.conversion_high for a in shown))
    row_height = 34.0
    left, right = 120.0, WIDTH - 80.0
    height = int(TOP + row_height * len(shown) + BOTTOM)

    def x_of(rate: float) -> float:
        return left + rate / top * (right - left)

    rows = tuple(
        IntervalRow(
            label=a.arm,
            y=TOP + i * row_height,
            bar_width=x_of(a.conversion_rate) - left,
            low_x=x_of(a.conversion_low),
            high_x=x_of(a.conversion_high),
            rate=a.conversion_rate,
            low=a.conversion_low,
            high=a.conversion_high,
            customers=a.customers,
            is_control=a.arm in ("control", "holdout"),
        )
        for i, a in enumerate(shown)
    )
    places = ".1%" if top < 0.1 else ".0%"
    ticks = tuple(Tick(x_of(top * f), f"{top * f:{places}}") for f in (0, 0.25, 0.5, 0.75, 1))
    return IntervalChart(WIDTH, height, left, right, row_height, rows, ticks)


def _count(value: float) -> str:
    return f"{value:g}" if value < 10 else f"{value:.0f}"
