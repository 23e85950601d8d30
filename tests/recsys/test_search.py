"""Price, colour and category parsing, and embedding search under those constraints."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from recsys.embeddings import embed_catalogue
from recsys.interactions import Catalogue
from recsys.search import SemanticSearch, parse_price, parse_query, search_products

CATEGORIES = ["lamps", "mugs", "cushions", "home decor"]


@pytest.mark.parametrize(
    ("message", "low", "high"),
    [
        ("a red lamp for my daughter under 20 pounds", None, 20.0),
        ("something between 10 and 30", 10.0, 30.0),
        ("a gift for my mother under £30", None, 30.0),
        ("cushions from 5 to 15 quid", 5.0, 15.0),
        ("mugs 12.50-25 GBP", 12.5, 25.0),
        ("anything over 50 euros", 50.0, None),
        ("a mug around 10 pounds", 8.0, 12.0),
        ("no budget at all", None, None),
    ],
)
def test_price_constraints_are_read_from_the_message(message, low, high):
    assert parse_price(message)[:2] == (low, high)


def test_query_keeps_free_text_and_finds_colour_and_category():
    query = parse_query("A red lamp for my daughter under 20 pounds", CATEGORIES)
    assert query.text == "A red lamp for my daughter"
    assert query.max_price == 20.0 and query.min_price is None
    assert query.colours == ("red",)
    assert query.categories == ("lamps",)


def test_plural_and_multi_word_categories_match_whole_words():
    assert parse_query("two mugs please", CATEGORIES).categories == ("mugs",)
    assert parse_query("some home decor in gray", CATEGORIES).categories == ("home decor",)
    assert parse_query("some home decor in gray", CATEGORIES).colours == ("grey",)
    assert parse_query("a mugshot frame", CATEGORIES).categories == ()


def _shop() -> Catalogue:
    titles = [
        "Red bedside lamp",
        "Blue bedside lamp",
        "Red floor lamp",
        "Red ceramic mug",
        "Wool cushion",
    ]
    return Catalogue(
        item_ids=np.array([10, 11, 12, 13, 14]),
        titles=np.array(titles, dtype=object),
        descriptions=np.array(
            [
                "Warm reading light",
                "Warm reading light",
                "Tall standing light",
                "Holds tea",
                "Soft square cushion",
            ],
            dtype=object,
        ),  # fmt: skip
        categories=np.array(["lamps", "lamps", "lamps", "mugs", "cushions"], dtype=object),
        colours=np.array(["red", "blue", "red", "red", "grey"], dtype=object),
        prices=np.array([15.0, 15.0, 80.0, 8.0, 20.0]),
        stock=np.array([3, 3, 3, 3, 0]),
    )


def test_red_lamp_under_twenty_finds_only_the_cheap_red_lamp(embedder, tmp_path):
    index = SemanticSearch().fit(embed_catalogue(_shop(), embedder, tmp_path))
    hits = search_products(index, embedder, "a red lamp for my daughter under 20 pounds")
    assert [h.item_id for h in hits] == [10]
    assert "budget" in hits[0].reason


def test_search_ranks_by_meaning_and_skips_out_of_stock(embedder, tmp_path):
    index = SemanticSearch().fit(embed_catalogue(_shop(), embedder, tmp_path))
    hits = search_products(index, embedder, "something to drink my tea from", k=5)
    assert hits[0].item_id == 13
    assert 14 not in [h.item_id for h in hits]


def test_impossible_constraints_give_an_empty_result(embedder, tmp_path):
    index = SemanticSearch().fit(embed_catalogue(_shop(), embedder, tmp_path))
    assert search_products(index, embedder, "a blue mug under 5 pounds") == []


def test_catalogue_embeddings_are_cached_by_text_fingerprint(embedder, tmp_path):
    first = embed_catalogue(_shop(), embedder, tmp_path)
    cached = list(tmp_path.glob("embeddings-*.npy"))
    assert len(cached) == 1
    second = embed_catalogue(_shop(), embedder, tmp_path)
    np.testing.assert_array_equal(first.embeddings, second.embeddings)
    assert np.allclose(np.linalg.norm(first.embeddings, axis=1), 1.0, atol=1e-5)


def test_colour_words_match_inside_shop_colours_and_titles(embedder, tmp_path):
    shop = dataclasses.replace(
        _shop(), colours=np.array(["", "navy blue", "forest green", "red", "grey"], dtype=object)
    )
    index = SemanticSearch().fit(embed_catalogue(shop, embedder, tmp_path))
    assert [h.item_id for h in search_products(index, embedder, "a blue lamp")] == [11]
    # item 10 has no colour field, but its title says "Red"
    assert {h.item_id for h in search_products(index, embedder, "red lamps")} == {10, 12}


def test_missing_colour_falls_back_to_closest_items_and_says_so(embedder, tmp_path):
    index = SemanticSearch().fit(embed_catalogue(_shop(), embedder, tmp_path))
    hits = search_products(index, embedder, "a purple mug")
    assert hits[0].item_id == 13
    assert "no purple one in stock" in hits[0].reason
