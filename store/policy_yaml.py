"""Typed, key-naming access to the policy YAML: every bad value becomes a ``PolicyError``."""

from __future__ import annotations

import difflib
from datetime import time
from pathlib import Path
from typing import Any


class PolicyError(ValueError):
    """The policy file is missing, unreadable or has a bad value; ``key`` names where."""

    def __init__(self, key: str, problem: str, path: Path | None = None) -> None:
        self.key = key
        self.problem = problem
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{key} {problem}")


class Reader:
    """Typed access to a YAML mapping that knows the dotted key it stands for.

    It remembers the keys it was asked for, so ``reject_unknown`` can refuse the rest: a
    misspelt optional key (``fre_over``) would otherwise load silently and drop the promise
    it was meant to make.
    """

    def __init__(self, data: Any, key: str) -> None:
        if not isinstance(data, dict):
            raise PolicyError(key or "(top level)", "must be a mapping of keys to values")
        self.data = data
        self.key = key
        self.asked: set[str] = set()

    def _name(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def reject_unknown(self) -> None:
        """Raise ``PolicyError`` for the first key nobody asked for, with the likely meant one."""
        unknown = sorted((k for k in self.data if k not in self.asked), key=str)
        if not unknown:
            return
        key = str(unknown[0])
        known = sorted(self.asked)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        raise PolicyError(
            self._name(key), f"is not a known key ({hint}known here: {', '.join(known)})"
        )

    def raw(self, name: str, *, optional: bool = False) -> Any:
        self.asked.add(name)
        if name not in self.data:
            if optional:
                return None
            raise PolicyError(self._name(name), "is missing")
        return self.data[name]

    def section(self, name: str) -> Reader:
        return Reader(self.raw(name), self._name(name))

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or not value.strip():
            raise PolicyError(self._name(name), f"must be non-empty text, got {value!r}")
        return value.strip()

    def boolean(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise PolicyError(self._name(name), f"must be true or false, got {value!r}")
        return value

    def whole(self, name: str, minimum: int = 0) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise PolicyError(
                self._name(name), f"must be a whole number of at least {minimum}, got {value!r}"
            )
        return value

    def amount(self, name: str, *, optional: bool = False) -> float | None:
        value = self.raw(name, optional=optional)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PolicyError(self._name(name), f"must be an amount of 0 or more, got {value!r}")
        return float(value)

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.raw(name)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise PolicyError(self._name(name), f"must be a non-empty list of text, got {value!r}")
        return tuple(v.strip() for v in value)

    def clock(self, name: str, *, optional: bool = False) -> time | None:
        value = self.raw(name, optional=optional)
        if value is None and optional:
            return None
        parsed = parse_time(value)
        if parsed is None:
            raise PolicyError(self._name(name), f'must be a time like "14:00", got {value!r}')
        return parsed


def parse_time(value: Any) -> time | None:
    # YAML 1.1 reads an unquoted 14:00 as the sexagesimal integer 840.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    if not isinstance(value, str):
        return None
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        return None
