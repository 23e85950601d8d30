"""What customers type, read by actions.parsing (pure functions, no store)."""

from __future__ import annotations

import pytest

from actions.parsing import match_order_line, parse_email, parse_order_number, parse_return_number
from store.views import OrderLineView


def _line(line_id: int, title: str, category: str) -> OrderLineView:
    return OrderLineView(line_id, line_id, f"SKU-{line_id}", title, category, 1, 10.0)


LINES = (
    _line(11, "Linen table lamp", "lighting"),
    _line(12, "Wool throw", "home_textiles"),
    _line(13, "Brass floor lamp", "lighting"),
)


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("10234", "10234"),
        ("#10234", "10234"),
        ("order no. 10234", "10234"),
        ("it's 10234, thanks", "10234"),
        ("c536379", "C536379"),
        ("my order number is 123456.", "123456"),
    ],
)
def test_order_numbers_are_found_in_what_customers_type(said: str, number: str) -> None:
    assert parse_order_number(said) == number


@pytest.mark.parametrize("said", ["no idea", "1234", "1234567", "R-10007", "07700900123", None])
def test_text_without_an_order_number_gives_none(said: str | None) -> None:
    assert parse_order_number(said) is None


@pytest.mark.parametrize(
    ("said", "number"), [("R-10007", "R-10007"), ("return r10007 please", "R-10007")]
)
def test_return_numbers_are_normalised(said: str, number: str) -> None:
    assert parse_return_number(said) == number


@pytest.mark.parametrize(
    ("said", "email"),
    [
        ("anna@example.com", "anna@example.com"),
        ("it's Anna.Smith@Example.CO.UK.", "Anna.Smith@example.co.uk"),
        ("<guest+shop@mail.example.org>", "guest+shop@mail.example.org"),
    ],
)
def test_emails_are_found_and_their_domain_lower_cased(said: str, email: str) -> None:
    assert parse_email(said) == email


@pytest.mark.parametrize(
    "said",
    [
        "anna at example dot com",
        "anna@example",
        "@example.com",
        "anna..s@example.com",
        "anna@-example.com",
        "",
    ],
)
def test_malformed_emails_are_refused(said: str) -> None:
    assert parse_email(said) is None


@pytest.mark.parametrize(
    ("said", "line_id"),
    [
        ("Wool throw", 12),
        ("the wool throw", 12),
        ("the throw", 12),
        ("throws", 12),
        ("the second one", 12),
        ("2nd", 12),
        ("item 3", 13),
        ("3", 13),
        ("the last one", 13),
        ("the floor lamp", 13),
        ("the second lamp", 13),
        ("the first lamp", 11),
        ("the textiles", 12),
    ],
)
def test_items_are_matched_by_title_ordinal_number_or_words(said: str, line_id: int) -> None:
    match = match_order_line(said, LINES)
    assert match.line is not None and match.line.id == line_id


def test_words_that_fit_several_items_are_ambiguous() -> None:
    match = match_order_line("the lamp", LINES)
    assert match.line is None and match.ambiguous
    assert [c.id for c in match.candidates] == [11, 13]


@pytest.mark.parametrize("said", ["sofa", "item 7", "the fifth one", "", "it"])
def test_items_not_in_the_order_match_nothing(said: str) -> None:
    match = match_order_line(said, LINES)
    assert match.line is None and not match.ambiguous
