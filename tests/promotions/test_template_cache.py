"""Campaign templates are checked once per text: reading campaigns stays cheap (issue 15).

The offer decision reads the active campaigns from the store for every trigger point; the
template check (a Jinja parse and sample renders) is cached by template text. These tests
hold that the cache changes nothing a marketer sees.
"""

from __future__ import annotations

import pytest

from promotions.templates import OFFER_SLOTS, TemplateProblem, check_template


def test_a_template_checked_again_gives_the_same_answer() -> None:
    first = check_template("{{ first_name }} {{ product }}", OFFER_SLOTS, "t")
    assert check_template("{{ first_name }} {{ product }}", OFFER_SLOTS, "t") == first
    assert first == {"first_name", "product"}


def test_a_broken_template_is_refused_every_time_it_is_checked() -> None:
    for _ in range(2):
        with pytest.raises(TemplateProblem, match="unknown slot 'frist_name'"):
            check_template("Hi {{ frist_name }}", OFFER_SLOTS, "variant 'a' template")


def test_an_edited_template_is_checked_anew() -> None:
    check_template("Hi {{ first_name }}", OFFER_SLOTS, "variant 'a' template")
    with pytest.raises(TemplateProblem, match="sandbox forbids"):
        check_template("Hi {{ first_name.__class__.__mro__ }}", OFFER_SLOTS, "variant 'a' template")


def test_the_same_text_for_a_variant_without_coupon_is_judged_on_its_own_slots() -> None:
    assert check_template("{{ discount }} off", OFFER_SLOTS, "t") == set()
    with pytest.raises(TemplateProblem, match="has no coupon"):
        check_template("{{ discount }} off", ("first_name", "product"), "t")
