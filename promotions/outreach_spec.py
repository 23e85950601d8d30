"""A campaign's ``outreach:`` block: how a proactive campaign reaches customers first.

Written in the campaign's YAML (or stored in ``promo_campaigns.outreach``)::

    outreach:
      channels: [telegram, email]             # tried in the customer's preferred order
      quiet_hours: {start: "21:00", end: "08:00"}
      timezone_default: Europe/London         # customers' local time for quiet hours
      subject: "A little something for you, {{ first_name | default('friend') }}"
      schedule: {days: [mon, wed, fri], after: "10:00"}   # optional (outreach_schedule)

It is read by ``promotions.campaigns`` with the same ``FieldChecker`` as the rest of the
campaign, so every problem is reported at once with its place (``outreach.quiet_hours.start``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from promotions.checking import FieldChecker
from promotions.outreach_schedule import Schedule, schedule_from_dict, schedule_to_dict
from promotions.templates import TemplateProblem, check_template

# Channels outreach can send on ("web": a message waiting in the web chat, see
# promotions.outreach_web). A channel planned but not built is named in PLANNED_CHANNELS,
# so naming it is an error, not a silent no-op.
OUTREACH_CHANNELS: tuple[str, ...] = ("email", "telegram", "web")
PLANNED_CHANNELS: tuple[str, ...] = ()
DEFAULT_SUBJECT = "A little something for you{% if first_name %}, {{ first_name }}{% endif %}"
SUBJECT_SLOTS: tuple[str, ...] = ("first_name",)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_FIELDS = ("channels", "quiet_hours", "timezone_default", "subject", "schedule")

log = logging.getLogger(__name__)


@lru_cache(maxsize=512)
def customer_zone(name: str) -> ZoneInfo | None:
    """The zone a customer's stored ``timezone`` names, or None (logged once) when none does.

    The store takes the name from the shop's data unchecked; a bad one must not stop a run,
    so the campaign's default stands in for it.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning(
            "unknown customer time zone %r: the campaign's timezone_default is used instead "
            "(store an IANA name such as Europe/London in customers.timezone)",
            name,
        )
        return None


@dataclass(frozen=True)
class QuietHours:
    """Local hours with no messages; ``start`` after ``end`` spans midnight (21:00-08:00)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """True when the local time ``local`` falls inside the quiet hours."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class OutreachSpec:
    """How and when a proactive campaign sends."""

    channels: tuple[str, ...] = ("email",)
    quiet_hours: QuietHours | None = None
    timezone_default: str = "UTC"
    subject: str = DEFAULT_SUBJECT
    schedule: Schedule | None = None

    def local(self, now_utc: datetime, timezone: str | None = None) -> datetime:
        """``now_utc`` (naive UTC) in ``timezone``: the customer's own zone; None, or a name
        no zone has, means the campaign's ``timezone_default``."""
        zone = (customer_zone(timezone) if timezone else None) or ZoneInfo(self.timezone_default)
        return now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)

    def is_quiet(self, now_utc: datetime, timezone: str | None = None) -> bool:
        """True when ``now_utc`` (naive UTC) is in quiet hours in ``timezone`` (see ``local``)."""
        if self.quiet_hours is None:
            return False
        return self.quiet_hours.contains(self.local(now_utc, timezone).time().replace(tzinfo=None))

    def is_due(self, now_utc: datetime, timezone: str | None = None) -> bool:
        """True when the schedule lets the campaign send now in ``timezone`` (no schedule: always)."""
        return self.schedule is None or self.schedule.is_due(self.local(now_utc, timezone))


def outreach_from_dict(check: FieldChecker, raw: Any) -> OutreachSpec | None:
    """The ``outreach`` block, or None when absent; problems go to ``check``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        check.fail("outreach", "must be a mapping with channels, quiet_hours, timezone_default")
        return None
    channels = _channels(check, raw.get("channels", ["email"]))
    zone = check.text(raw, "timezone_default", "outreach.", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        check.fail(
            "outreach.timezone_default",
            f"unknown time zone {zone!r} (use an IANA name such as Europe/London)",
        )
        zone = "UTC"
    subject = check.text(raw, "subject", "outreach.", DEFAULT_SUBJECT)
    try:
        check_template(subject, SUBJECT_SLOTS, "outreach subject")
    except TemplateProblem as exc:
        check.fail("outreach.subject", str(exc))
    for name in sorted(set(raw) - set(_FIELDS)):
        check.fail(f"outreach.{name}", f"unknown field (known: {', '.join(_FIELDS)})")
    return OutreachSpec(
        channels=channels,
        quiet_hours=_quiet_hours(check, raw.get("quiet_hours")),
        timezone_default=zone,
        subject=subject,
        schedule=schedule_from_dict(check, raw.get("schedule")),
    )


def _channels(check: FieldChecker, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        check.fail("outreach.channels", f"list at least one of {', '.join(OUTREACH_CHANNELS)}")
        return ()
    found: list[str] = []
    for i, channel in enumerate(raw):
        if channel in OUTREACH_CHANNELS:
            if channel not in found:
                found.append(channel)
        elif channel in PLANNED_CHANNELS:
            check.fail(
                f"outreach.channels[{i}]",
                f"{channel!r} is not built yet; outreach sends by {', '.join(OUTREACH_CHANNELS)}",
            )
        else:
            check.fail(
                f"outreach.channels[{i}]",
                f"unknown channel {channel!r} (one of {', '.join(OUTREACH_CHANNELS)})",
            )
    return tuple(found)


def _quiet_hours(check: FieldChecker, raw: Any) -> QuietHours | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"start", "end"}:
        check.fail(
            "outreach.quiet_hours", 'must be {start: "21:00", end: "08:00"} (24-hour local times)'
        )
        return None
    times = []
    for name in ("start", "end"):
        value = raw[name]
        # YAML 1.1 reads an unquoted 21:00 as the number 1260 (minutes); accept it as meant.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            value = f"{value // 60:02d}:{value % 60:02d}"
        match = _CLOCK.match(str(value))
        if not match:
            check.fail(
                f"outreach.quiet_hours.{name}", f'must be a time like "21:00", got {value!r}'
            )
            return None
        times.append(time(int(match.group(1)), int(match.group(2))))
    return QuietHours(times[0], times[1])


def outreach_to_dict(spec: OutreachSpec) -> dict[str, Any]:
    """The plain mapping of ``spec``; ``outreach_from_dict`` inverts it."""
    data: dict[str, Any] = {
        "channels": list(spec.channels),
        "timezone_default": spec.timezone_default,
        "subject": spec.subject,
    }
    if spec.quiet_hours is not None:
        data["quiet_hours"] = {
            "start": spec.quiet_hours.start.strftime("%H:%M"),
            "end": spec.quiet_hours.end.strftime("%H:%M"),
        }
    if spec.schedule is not None:
        data["schedule"] = schedule_to_dict(spec.schedule)
    return data
