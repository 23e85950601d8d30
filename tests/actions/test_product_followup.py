"""Reading a follow-up: which shown product it is about and what it asks (pure functions)."""

from __future__ import annotations

import pytest

from actions.product_followup import (
    Asked,
    Resolution,
    asked_about,
    asked_colour,
    materials_in,
    measures_in,
    resolve,
)

SHOWN = ("Linden Brass Bedside Lamp", "Marlow A5 Dotted Notebook", "Speckled Mug")


@pytest.mark.parametrize(
    ("text", "ordinals", "expected"),
    [
        ("tell me more about the first one", ["first"], (0,)),
        ("how much is the second", ["second"], (1,)),
        ("and the last one?", ["last one"], (2,)),
        ("is the 3rd in stock", [], (2,)),
        ("what about number 2", [], (1,)),
        ("tel me more abt the frist one", ["frist"], (0,)),
        ("the fifth one", ["fifth"], ()),  # only three were shown
    ],
)
def test_an_ordinal_picks_that_position(
    text: str, ordinals: list[str], expected: tuple[int, ...]
) -> None:
    assert resolve(text, SHOWN, ordinals=ordinals).indexes == expected


def test_it_is_the_only_product_shown_or_the_one_discussed_last() -> None:
    assert resolve("is it in stock", SHOWN[:1]).indexes == (0,)
    assert resolve("is it in stock", SHOWN, discussed=2).indexes == (2,)
    assert resolve("is it in stock", SHOWN) == Resolution(())


def test_a_product_word_picks_the_shown_product_whose_title_has_it() -> None:
    assert resolve("is the lamp still available", SHOWN, product_words=["lamp"]).indexes == (0,)
    assert resolve("is the notebook still in stock", SHOWN).indexes == (1,)
    assert resolve("is the mug ceramic", SHOWN, product_words=["mugs"]).indexes == (2,)


def test_a_product_word_no_shown_product_has_is_reported() -> None:
    assert resolve("is the teapot in stock", SHOWN, product_words=["teapot"]) == Resolution(
        (), unmatched="teapot"
    )


def test_them_means_every_product_shown() -> None:
    assert resolve("how much are they", SHOWN).indexes == (0, 1, 2)


def test_nothing_shown_resolves_to_nothing() -> None:
    assert resolve("how much is the first", (), ordinals=["first"]) == Resolution(())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tell me more about the first one", [Asked.DETAILS]),
        ("hw much is the secnd one", [Asked.PRICE]),
        ("is it in stok", [Asked.STOCK]),
        ("is the lamp still available", [Asked.STOCK]),
        ("does it come in blue", [Asked.COLOUR]),
        ("what colours does it come in", [Asked.COLOUR]),
        ("what's it made of", [Asked.MATERIAL]),
        ("is the mug ceramic", [Asked.MATERIAL]),
        ("what size is it", [Asked.SIZE]),
        ("how big is the first one", [Asked.SIZE]),
        ("how much is it and is it in stock", [Asked.PRICE, Asked.STOCK]),
        ("is the lamp available in white", [Asked.COLOUR]),
    ],
)
def test_what_is_asked(text: str, expected: list[Asked]) -> None:
    assert asked_about(text) == expected


def test_the_colour_asked_comes_from_the_entity_or_a_plain_colour_word() -> None:
    assert asked_colour("does it come in sage green", ["sage green"]) == "sage green"
    assert asked_colour("does it come in blue") == "blue"
    assert asked_colour("is it in stock") is None


def test_materials_and_measures_are_read_from_the_catalogue_text() -> None:
    assert materials_in("Linden Brass Bedside Lamp", "The brass bedside lamp.") == ["brass"]
    assert materials_in("Mango Wood Board", "") == ["mango wood"]
    assert materials_in("Speckled Mug", "A sturdy mug.") == []
    assert measures_in("A notebook, A5, 120 pages, 21 x 14.8 cm.") == ["A5", "21 x 14.8 cm"]
