"""Offer templates: sandboxed rendering, missing slots and hostile slot values."""

from __future__ import annotations

import pytest

from promotions.templates import (
    OFFER_SLOTS,
    MissingSlot,
    TemplateProblem,
    check_template,
    clean_slot,
    render,
)


def test_slots_are_filled_into_the_message() -> None:
    text = render(
        "Hi {{ first_name }}, {{ discount }} off the {{ product }}!",
        {
            "first_name": "Anna",
            "discount": "15%",
            "product": "Linen lamp",
        },
    )
    assert text == "Hi Anna, 15% off the Linen lamp!"


def test_missing_slot_fails_instead_of_rendering_a_hole() -> None:
    with pytest.raises(MissingSlot) as info:
        render("Hi {{ first_name }}, look at the {{ product }}", {"first_name": "Anna"})
    assert info.value.slot == "product"
    assert "needs 'product'" in str(info.value)


def test_none_and_blank_values_count_as_missing() -> None:
    for value in (None, "", "   "):
        with pytest.raises(MissingSlot):
            render("Hi {{ first_name }}", {"first_name": value})


def test_default_filter_covers_a_missing_slot() -> None:
    assert render("Hi {{ first_name | default('there') }}!", {}) == "Hi there!"


def test_markup_and_links_in_a_value_are_neutralised() -> None:
    hostile = "<script>alert(1)</script><b>Bob</b> [win](http://evil.example) www.evil.example"
    text = render("Hi {{ first_name }}!", {"first_name": hostile})
    for bad in ("<", ">", "[", "]", "http", "www.", "script>"):
        assert bad not in text
    assert "Bob" in text


def test_template_syntax_in_a_value_stays_inert_text() -> None:
    text = render("Hi {{ first_name }}!", {"first_name": "{{ 7*7 }}{% raw %}"})
    assert "49" not in text
    assert "{" not in text and "%}" not in text


def test_control_bidi_and_zero_width_characters_are_removed() -> None:
    cleaned = clean_slot("An\u202ena\u200b\x00\nSmith\t")
    assert cleaned == "An na Smith"


def test_long_values_are_cut_with_an_ellipsis() -> None:
    cleaned = clean_slot("x" * 500)
    assert len(cleaned) == 60 and cleaned.endswith("…")


def test_sandbox_refuses_attribute_escapes_at_validation() -> None:
    with pytest.raises(TemplateProblem) as info:
        check_template("{{ first_name.__class__.__mro__ }}", OFFER_SLOTS, "variant 'a' template")
    assert "sandbox forbids" in str(info.value)


def test_unknown_slot_is_refused_with_a_suggestion() -> None:
    with pytest.raises(TemplateProblem) as info:
        check_template("Hi {{ frist_name }}", OFFER_SLOTS, "variant 'a' template")
    assert (
        str(info.value)
        == "variant 'a' template uses unknown slot 'frist_name' — did you mean 'first_name'?"
    )


def test_code_is_only_allowed_after_acceptance() -> None:
    with pytest.raises(TemplateProblem) as info:
        check_template("Your code {{ code }}", OFFER_SLOTS, "variant 'a' template")
    assert "put it in accepted_template" in str(info.value)


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateProblem) as info:
        check_template("Hi\n{{ first_name ", OFFER_SLOTS, "variant 'a' template")
    assert str(info.value).startswith("variant 'a' template: line 2:")


def test_check_reports_which_personal_slots_a_template_cannot_do_without() -> None:
    assert check_template("{{ first_name }} {{ product }}", OFFER_SLOTS, "t") == {
        "first_name",
        "product",
    }
    assert (
        check_template("{{ first_name | default('hi') }} {{ discount }}", OFFER_SLOTS, "t") == set()
    )


def test_rendered_message_keeps_line_breaks_but_not_runs_of_spaces() -> None:
    assert render("Hi   {{ first_name }}\n\n  Bye ", {"first_name": "Anna"}) == "Hi Anna\n\nBye"
