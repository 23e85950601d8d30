"""One rule for amounts and lists, whichever package says them."""

from __future__ import annotations

import pytest

from concierge.formatting import join_words, money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (50, "GBP", "£50"),
        (5.0, "GBP", "£5"),
        (3.95, "GBP", "£3.95"),
        (12.5, "EUR", "€12.50"),
        (1250, "usd", "$1,250"),
        (1234.5, "GBP", "£1,234.50"),
        (3, "CHF", "CHF 3"),
        (4.999, "GBP", "£5"),
        (0.004, "GBP", "£0"),
        (-5, "GBP", "-£5"),
    ],
)
def test_whole_amounts_drop_their_pence_and_others_show_two_decimals(
    amount: float, currency: str, expected: str
) -> None:
    assert money(amount, currency) == expected


def test_money_defaults_to_pounds() -> None:
    assert money(19.99) == "£19.99"


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], ""),
        (["Oak stool"], "Oak stool"),
        (["card", "PayPal"], "card and PayPal"),
        (["card", "PayPal", "Apple Pay"], "card, PayPal and Apple Pay"),
    ],
)
def test_lists_read_a_b_and_c_without_a_serial_comma(items: list[str], expected: str) -> None:
    assert join_words(items) == expected


def test_a_list_of_choices_ends_with_or() -> None:
    assert join_words(("Oak Lamp", "Brass Lamp", "Glass Lamp"), last="or") == (
        "Oak Lamp, Brass Lamp or Glass Lamp"
    )
