"""When a proactive campaign sends: its weekdays and the local hour from which it may.

Written in the campaign's ``outreach:`` block::

    outreach:
      schedule: {days: [mon, wed, fri], after: "10:00"}   # the customer's local time

A run (every minute under ``make demo``, or from cron) queues a customer's message only on
one of ``days`` and from ``after`` in the customer's own time zone (else the campaign's
``timezone_default``); before that the customer is left for a later run, with nothing
recorded, as in quiet hours. The outbox's key still allows one message per campaign,
customer and day. Without a schedule a campaign sends on every day at any hour outside its
quiet hours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from promotions.checking import FieldChecker

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_FIELDS = ("days", "after")
_SHAPE = 'must be {days: [mon, wed, fri], after: "10:00"} (either may be left out)'


@dataclass(frozen=True)
class Schedule:
    """The weekdays (0 = Monday) and the local time from which a campaign sends."""

    days: frozenset[int] = frozenset(range(7))
    after: time = time(0, 0)

    def is_due(self, local: datetime) -> bool:
        """True when the customer's local moment ``local`` is on a sending day, from ``after``."""
        return local.weekday() in self.days and local.time().replace(tzinfo=None) >= self.after


def schedule_from_dict(check: FieldChecker, raw: Any) -> Schedule | None:
    """The ``outreach.schedule`` block, or None when absent; problems go to ``check``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        check.fail("outreach.schedule", _SHAPE)
        return None
    for name in sorted(set(raw) - set(_FIELDS)):
        check.fail(f"outreach.schedule.{name}", f"unknown field (known: {', '.join(_FIELDS)})")
    return Schedule(days=_days(check, raw.get("days")), after=_after(check, raw.get("after")))


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    """The plain mapping of ``schedule``; ``schedule_from_dict`` inverts it."""
    return {
        "days": [DAY_NAMES[d] for d in sorted(schedule.days)],
        "after": schedule.after.strftime("%H:%M"),
    }


def _days(check: FieldChecker, raw: Any) -> frozenset[int]:
    if raw is None:
        return frozenset(range(7))
    if not isinstance(raw, list) or not raw:
        check.fail("outreach.schedule.days", f"list at least one of {', '.join(DAY_NAMES)}")
        return frozenset()
    found: set[int] = set()
    for i, day in enumerate(raw):
        name = str(day).strip().lower()[:3]
        if name in DAY_NAMES and str(day).strip():
            found.add(DAY_NAMES.index(name))
        else:
            check.fail(
                f"outreach.schedule.days[{i}]",
                f"unknown day {day!r} (one of {', '.join(DAY_NAMES)})",
            )
    return frozenset(found)


def _after(check: FieldChecker, raw: Any) -> time:
    if raw is None:
        return time(0, 0)
    # YAML 1.1 reads an unquoted 10:00 as the number 600 (minutes); accept it as meant.
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 24 * 60:
        raw = f"{raw // 60:02d}:{raw % 60:02d}"
    match = _CLOCK.match(str(raw))
    if not match:
        check.fail("outreach.schedule.after", f'must be a time like "10:00", got {raw!r}')
        return time(0, 0)
    return time(int(match.group(1)), int(match.group(2)))
