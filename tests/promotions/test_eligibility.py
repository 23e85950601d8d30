"""The eligibility rule language: what it accepts, how it evaluates, how it reports mistakes."""

from __future__ import annotations

import pytest

from promotions.eligibility import FIELDS, MAX_NESTING, Rule, RuleError


def error_of(source: str) -> RuleError:
    with pytest.raises(RuleError) as info:
        Rule.compile(source)
    return info.value


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("true", {}, True),
        ("false", {}, False),
        ("segment == 'loyal'", {"segment": "loyal"}, True),
        ("segment == 'Loyal'", {"segment": "loyal"}, True),  # text ignores case
        ("segment in ['loyal', 'champions']", {"segment": "champions"}, True),
        ("segment not in ['loyal', 'champions']", {"segment": "new"}, True),
        ("segment not in ['loyal', 'champions']", {"segment": "loyal"}, False),
        (
            "total_spent >= 100 and orders_count > 1",
            {"total_spent": 100.0, "orders_count": 2},
            True,
        ),
        (
            "total_spent >= 100 and orders_count > 1",
            {"total_spent": 99.99, "orders_count": 2},
            False,
        ),
        (
            "days_since_last_order > 30 or consent",
            {"days_since_last_order": 5, "consent": True},
            True,
        ),
        ("not consent", {"consent": False}, True),
        ("not (segment == 'new' or segment == 'loyal')", {"segment": "new"}, False),
        ("propensity < 0.3", {"propensity": 0.25}, True),
        ("total_spent > -1", {"total_spent": 0}, True),
        ("country != 'France'", {"country": "United Kingdom"}, True),
        ("trigger == 'with_recommendation'", {"trigger": "with_recommendation"}, True),
    ],
)
def test_rule_evaluates_to_expected_truth(source: str, values: dict, expected: bool) -> None:
    assert Rule.compile(source).matches(values) is expected


def test_and_binds_tighter_than_or() -> None:
    rule = Rule.compile("consent or orders_count > 5 and total_spent > 1000")
    assert rule.matches({"consent": True, "orders_count": 0, "total_spent": 0})
    assert not rule.matches({"consent": False, "orders_count": 9, "total_spent": 10})


def test_conditions_on_a_missing_value_are_false_unless_testing_for_none() -> None:
    missing = {"days_since_last_order": None, "segment": None}
    assert not Rule.compile("days_since_last_order > 30").matches(missing)
    assert not Rule.compile("days_since_last_order <= 30").matches(missing)
    assert not Rule.compile("segment != 'loyal'").matches(missing)
    assert not Rule.compile("segment not in ['loyal']").matches(missing)
    assert Rule.compile("days_since_last_order == none").matches(missing)
    assert not Rule.compile("days_since_last_order != none").matches(missing)
    assert Rule.compile("days_since_last_order != none").matches({"days_since_last_order": 3})


def test_fields_lists_what_the_rule_reads() -> None:
    rule = Rule.compile(
        "segment == 'new' and (total_spent > 5 or not consent) and country in ['field']"
    )
    assert rule.fields() == {"segment", "total_spent", "consent", "country"}


def test_misspelt_field_is_named_with_its_column_and_a_suggestion() -> None:
    error = error_of("segmnt == 'loyal'")
    assert str(error) == "unknown field 'segmnt' at column 1 — did you mean 'segment'?"
    assert error.column == 1
    later = error_of("consent and total_spnt > 10")
    assert later.column == 13
    assert "did you mean 'total_spent'?" in str(later)


def test_unknown_field_with_no_near_match_lists_the_known_fields() -> None:
    error = error_of("shoe_size > 40")
    assert "unknown field 'shoe_size' at column 1 — known fields:" in str(error)
    assert all(name in str(error) for name in FIELDS)


def test_single_equals_suggests_double() -> None:
    error = error_of("segment = 'loyal'")
    assert str(error) == "'=' at column 9 — did you mean '=='?"


def test_ordering_text_is_refused() -> None:
    error = error_of("segment > 'loyal'")
    assert (
        str(error) == "'>' at column 9 compares numbers, but text field 'segment' is not a number"
    )


def test_comparing_text_field_with_number_is_refused() -> None:
    error = error_of("country == 44")
    assert str(error) == "cannot compare text field 'country' with a number at column 9"


def test_a_bare_number_field_is_not_a_condition() -> None:
    error = error_of("total_spent and consent")
    assert "field 'total_spent' at column 1 is a number, not a condition" in str(error)


def test_unknown_value_of_a_closed_field_gets_a_suggestion() -> None:
    error = error_of("propensity_band == 'hgh'")
    assert "unknown value 'hgh' for propensity_band at column 20 — did you mean 'high'?" in str(
        error
    )
    error = error_of("trigger in ['with_recommendation', 'after_order']")
    assert "did you mean 'after_order_resolved'?" in str(error)


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("", 1, "the rule is empty"),
        ("segment == 'loyal' total_spent > 1", 20, "join conditions with 'and' / 'or'"),
        ("(segment == 'loyal'", 20, "expected ')' at column 20, found end of rule"),
        ("segment == 'loyal", 12, "unterminated text starting at column 12"),
        ("consent && total_spent > 1", 9, "write 'and'"),
        ("segment in 'loyal'", 12, "expected '[' at column 12"),
        ("segment in [country]", 13, "a list holds plain values"),
        ("total_spent in ['a']", 17, "number field 'total_spent' cannot be in a list holding text"),
        ("consent ;", 9, "unexpected character ';' at column 9"),
        ("total_spent >", 14, "expected a field or a value at column 14, found end of rule"),
    ],
)
def test_broken_rules_point_at_the_problem(source: str, column: int, fragment: str) -> None:
    error = error_of(source)
    assert error.column == column
    assert fragment in str(error)


def test_pointer_puts_a_caret_under_the_column() -> None:
    error = error_of("consent and segmnt == 'x'")
    assert error.pointer("consent and segmnt == 'x'") == "consent and segmnt == 'x'\n            ^"


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('echo hacked')",
        "segment.__class__ == 'x'",
        "[].__class__",
        "lambda: 1",
        "open('/etc/passwd')",
    ],
)
def test_python_code_is_not_a_rule(source: str) -> None:
    with pytest.raises(RuleError):
        Rule.compile(source)


@pytest.mark.parametrize(("opening", "levels_per_opening"), [("(", 1), ("not ", 1), ("not (", 2)])
def test_deeply_nested_rule_is_refused_with_the_rule_language_error(
    opening: str, levels_per_opening: int
) -> None:
    # 400 levels used to overflow Python's stack: RecursionError instead of a RuleError.
    source = opening * 400 + "consent" + ")" * (400 * opening.count("("))
    error = error_of(source)
    assert "nested too deeply" in str(error)
    # The caret goes under the first opening past the limit.
    assert error.column == len(opening) * (MAX_NESTING // levels_per_opening) + 1


def test_nesting_up_to_the_limit_still_compiles() -> None:
    depth = MAX_NESTING
    rule = Rule.compile("(" * depth + "consent" + ")" * depth)
    assert rule.matches({"consent": True})
    negated = Rule.compile("not " * depth + "consent")
    assert negated.matches({"consent": True}) is (depth % 2 == 0)
