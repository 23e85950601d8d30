"""The colour words: the one list of words that name a colour in free text.

The Online Retail importer reads them out of product descriptions ("RED RETROSPOT MUG"),
recsys out of product titles and shoppers' messages ("a grey lamp under 20"). Keeping
one list means a colour the importer stores is a colour search can ask for.

This is a vocabulary, not the shop's palette: the colours products really have are data
in the products table (the demo shop's palette lives in ``demo_shop/vocabulary.py``).
That data is what reaches the Rasa side, through ``store/catalogue_export.py``: its
EntityRuler is generated from the catalogue (docs/architecture.md, "Models"), so it tags the colours the shop
sells, and recsys search adds the words of those colours to this list on its own.
"""

from __future__ import annotations

# word -> the colour it names (lower case); "gray" is spelled the British way.
COLOUR_WORDS: dict[str, str] = {
    "red": "red", "pink": "pink", "blue": "blue", "navy": "navy", "turquoise": "turquoise",
    "teal": "teal", "green": "green", "yellow": "yellow", "orange": "orange",
    "purple": "purple", "lilac": "lilac", "black": "black", "white": "white",
    "cream": "cream", "ivory": "ivory", "beige": "beige", "grey": "grey", "gray": "grey",
    "brown": "brown", "gold": "gold", "silver": "silver",
}  # fmt: skip


def colour_named(word: str) -> str | None:
    """The colour a single word names ("Gray" -> "grey"), or None for any other word."""
    return COLOUR_WORDS.get(word.lower())
