"""Reading fields of a marketer's mapping while collecting every problem, not just the first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any


class FieldChecker:
    """Collects problems while reading a mapping, so one save reports all of them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        """Note a problem at ``where`` (e.g. ``variants[0].weight``)."""
        self.problems.append(f"{where}: {message}")

    def text(
        self, data: Mapping[str, Any], name: str, where: str, default: str | None = None
    ) -> str:
        """A text field, stripped; required (non-blank) unless ``default`` is given."""
        value = data.get(name, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.fail(f"{where}{name}", f"must be text, got {value!r}")
            return default or ""
        return value.strip()

    def number(
        self,
        data: Mapping[str, Any],
        name: str,
        where: str,
        default: Any,
        *,
        low: float,
        high: float | None = None,
        whole: bool = False,
        optional: bool = False,
    ) -> Any:
        """A number within [low, high]; whole numbers come back as int; None if optional."""
        value = data.get(name, default)
        if value is None and optional:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (whole and not float(value).is_integer())
        ):
            kind = "a whole number" if whole else "a number"
            self.fail(f"{where}{name}", f"must be {kind}, got {value!r}")
            return default
        if value < low or (high is not None and value > high):
            bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            self.fail(f"{where}{name}", f"must be {bound}, got {value!r}")
            return default
        return int(value) if whole else float(value)

    def moment(self, data: Mapping[str, Any], name: str) -> datetime | None:
        """A date or date-time (YAML value or ISO text), or None when absent."""
        value = data.get(name)
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime.combine(value, time())
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(name, f"must be a date like 2024-05-01 or 2024-05-01T09:00, got {value!r}")
            return None
