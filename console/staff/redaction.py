"""Redaction of personal data in exported text: e-mail addresses, phone numbers, card numbers.

Card numbers are 13–19 digits, optionally grouped by spaces or dashes, that pass the Luhn
check. Phone numbers need 9–15 digits, so order numbers (``10234``) stay; anything that
looks like a date or a time is left alone.
"""

from __future__ import annotations

import re

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
CARD_MARK = "[card]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Digits joined by single spaces or dashes, not glued to letters or other digits.
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ().-]{6,22}\d(?![\w])")
_DATE_OR_TIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}")


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum that payment cards carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return CARD_MARK if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    if _DATE_OR_TIME.search(found):
        return found
    digits = re.sub(r"\D", "", found)
    return PHONE_MARK if 9 <= len(digits) <= 15 else found


def redact(text: str) -> str:
    """``text`` with e-mail addresses, card numbers and phone numbers replaced by markers."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)
