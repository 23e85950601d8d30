"""Removing one customer's traces from the services' log files (part of ``forget``).

The services log ids, not message text or e-mails; what may still name a customer is a
sender id, an e-mail typed before that rule, or ``customer 42``. :func:`scrub_logs`
replaces those in the plain ``*.log`` files ``concierge.stack`` writes under
``var/logs``. Logs kept anywhere else (rotated, compressed, shipped) are the operator's
to expire; the README says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

ERASED = "(erased)"


def customer_patterns(customer_id: int, terms: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns for the exact ``terms`` (any case) and the customer's id as logs write it."""
    patterns = [re.compile(re.escape(term), re.IGNORECASE) for term in terms if term]
    # "customer 42", "customer_id=42", "customer: 42" — but not customer 420.
    patterns.append(re.compile(rf"\bcustomer(?:_id)?[\s=:#'\"]+{customer_id}\b", re.IGNORECASE))
    return patterns


def scrub_logs(log_dir: Path, patterns: list[re.Pattern[str]]) -> int:
    """Replace every match in the ``*.log`` files of ``log_dir``; returns lines changed."""
    changed = 0
    for path in sorted(log_dir.glob("*.log")) if log_dir.is_dir() else []:
        changed += _scrub_file(path, patterns)
    return changed


def _scrub_file(path: Path, patterns: list[re.Pattern[str]]) -> int:
    original = path.read_bytes()
    out, changed = [], 0
    for line in original.decode("utf-8", errors="replace").splitlines(keepends=True):
        new = line
        for pattern in patterns:
            new = pattern.sub(ERASED, new)
        changed += new != line
        out.append(new)
    if not changed:
        return 0
    # Rewritten in place, not replaced: the service keeps appending to the same file
    # (a renamed-over file would swallow its next lines). What it appended since the
    # read above is carried over; only a line written in the instant between that and
    # the truncate could be lost.
    with path.open("r+b") as handle:
        handle.seek(len(original))
        appended = handle.read()
        handle.seek(0)
        handle.write("".join(out).encode("utf-8") + appended)
        handle.truncate()
    return changed
