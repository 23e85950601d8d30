"""Redaction of phone and card numbers in the forms customers type them, and of nothing else."""

from __future__ import annotations

import pytest

from console.staff.redaction import redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("on 2024-05-01 07700 900123", "on 2024-05-01 [phone]"),
        ("call 2024-05-01 07700900123 please", "call 2024-05-01 [phone] please"),
        ("order 18992 07700 900123", "order 18992 [phone]"),
        ("order 18992, 07700 900123", "order 18992, [phone]"),
        ("return R-10001 07700 900123", "return R-10001 [phone]"),
        ("at 10:30 07700 900123", "at 10:30 [phone]"),
        ("ring 06.12.34.56.78 tonight", "ring [phone] tonight"),
        ("ring 06-12-34-56-78 tonight", "ring [phone] tonight"),
        ("ring 06 12 34 56 78 tonight", "ring [phone] tonight"),
        ("+33 6 12 34 56 78", "[phone]"),
        ("+33.6.12.34.56.78", "[phone]"),
        ("0044-20-7946-0958", "[phone]"),
        ("card 4111.1111.1111.1111 thanks", "card [card] thanks"),
        ("card 4111 1111 1111 1111.", "card [card]."),
        ("card 5555-5555-5555-4444, exp 12/27", "card [card], exp 12/27"),
        ("on 2024-05-01 4111.1111.1111.1111", "on 2024-05-01 [card]"),
        ("orders 18992 07700 900123 18993", "orders 18992 [phone] 18993"),
    ],
)
def test_phone_and_card_numbers_are_redacted_wherever_they_sit(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 18992",
        "orders 18992 and 189923",
        "order 18992 18993 18994",
        "order 18992, 18993, 18994 and 18995",
        "return R-10001 for order 18992",
        "returns R-10001, R-10002",
        "on 2024-05-01 at 07:30",
        "between 2024-05-01 and 2024-05-07",
        "delivered 01.05.2024 or 01/05/2024 or 1-5-2024",
        "from 01.05.2024 to 07.05.2024",
        "price £1,299.99 or 1.299,99 € or $19.99",
        "total 1234.56 for 3 items",
        "sizes 38 40 42 44",
        "version 1.2.3.4",
        "4111 1111 1111 1112 fails the Luhn check",
        "ticket 123-456",
        "order 18992 on 2024-05-01 at 10:30, total £45.50",
    ],
)
def test_order_numbers_dates_prices_and_returns_survive(text: str) -> None:
    assert redact(text) == text
