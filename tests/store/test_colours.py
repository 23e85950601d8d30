"""One list of colour words: what the importer stores is what recsys reads and searches."""

from __future__ import annotations

import pytest

from recsys.interactions import COLOURS, colour_in
from recsys.search import parse_query
from store.colours import COLOUR_WORDS, colour_named
from store.keyword_categories import colour_for


@pytest.mark.parametrize("word", sorted(COLOUR_WORDS))
def test_importer_and_recsys_read_the_same_colour_from_a_description(word):
    description = f"SET OF 3 {word.upper()} SPOTTY MUGS"
    assert colour_for(description).lower() == colour_in(description) == COLOUR_WORDS[word]


@pytest.mark.parametrize("word", sorted(COLOUR_WORDS))
def test_every_colour_word_is_one_a_shopper_can_search_by(word):
    assert parse_query(f"a {word} lamp").colours == (COLOUR_WORDS[word],)


def test_recsys_knows_exactly_the_store_colour_words():
    assert set(COLOURS) == set(COLOUR_WORDS)


def test_navy_teal_and_beige_descriptions_get_a_colour_on_import():
    # The importer's own list used to lack these three, which recsys already read.
    assert colour_for("NAVY BLUE KNITTED SCARF") == "Navy"
    assert colour_for("TEAL GLASS CANDLE HOLDERS") == "Teal"
    assert colour_for("BEIGE LINEN CUSHION") == "Beige"


def test_gray_names_grey_and_other_words_name_no_colour():
    assert colour_named("Gray") == "grey"
    assert colour_named("lamp") is None
