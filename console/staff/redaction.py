"""Redaction of personal data in text staff read: e-mail addresses, phone and card numbers.

Numbers are found as runs of digit groups joined by single spaces, dots or dashes (a
phone may start with ``+`` or an area code in parentheses). What must stay readable is
set aside first, so it neither hides a phone number next to it nor becomes part of one:
dates, times, return numbers (``R-10001``) and prices. A run is then a card number when
it has 13–19 digits that pass the Luhn check, a phone number when it has 9–15 digits;
order numbers (5–6 digits, not starting with 0) at either end are peeled off and kept, and a
run made only of order numbers (``18992 18993 18994``) is a list of orders.
"""

from __future__ import annotations

import re

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
CARD_MARK = "[card]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Text that must stay as it is, and must not glue the digits on either side into one run.
_KEPT = re.compile(
    "|".join(
        (
            # Dates: 2024-05-01, 01.05.2024, 01/05/24, 1-5-2024 (not the start of 06.12.34.56.78).
            r"(?<![\d./-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}([./-])\d{1,2}\1\d{2,4})(?!\d|[./-]\d)",
            # Times: 10:30, 07:30:15.
            r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)",
            # Return numbers.
            r"\b[Rr]-\d+\b",
            # Prices with their currency: £1,299.99, $19.99, 1.299,99 €, 45 EUR.
            r"[£$€]\s?\d[\d.,]*",
            r"\d[\d.,]*\s?(?:€|EUR|GBP|USD)\b",
        )
    )
)
# Digit groups joined by single separators, optionally "+" first and "(area)" parentheses.
_RUN = re.compile(r"(?<![\w+:/])\+?\(?\d+(?:(?:\) ?|[ .-]\(?)\d+)*\)?(?!\w)")
_GROUP = re.compile(r"\d+")
_LEADING_GROUP = re.compile(r"\d+[ .-]")
_TRAILING_GROUP = re.compile(r"[ .-]\d+$")


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum that payment cards carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _order_number(group: str) -> bool:
    return 5 <= len(group) <= 6 and not group.startswith("0")


def _redact_run(run: str) -> str:
    groups = _GROUP.findall(run)
    if all(_order_number(g) for g in groups):
        return run
    leading = _LEADING_GROUP.match(run)
    if leading and len(groups) > 1 and _order_number(groups[0]):
        rest = run[leading.end() :]
        redacted_rest = _redact_run(rest)
        if redacted_rest != rest:
            return run[: leading.end()] + redacted_rest
    trailing = _TRAILING_GROUP.search(run)
    if trailing and len(groups) > 1 and _order_number(groups[-1]):
        rest = run[: trailing.start()]
        redacted_rest = _redact_run(rest)
        if redacted_rest != rest:
            return redacted_rest + run[trailing.start() :]
    digits = "".join(groups)
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return CARD_MARK
    if 9 <= len(digits) <= 15:
        return PHONE_MARK
    return run


def _redact_numbers(segment: str) -> str:
    return _RUN.sub(lambda match: _redact_run(match.group()), segment)


def redact(text: str) -> str:
    """``text`` with e-mail addresses, card numbers and phone numbers replaced by markers."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    out: list[str] = []
    position = 0
    for kept in _KEPT.finditer(text):
        out.append(_redact_numbers(text[position : kept.start()]))
        out.append(kept.group())
        position = kept.end()
    out.append(_redact_numbers(text[position:]))
    return "".join(out)
