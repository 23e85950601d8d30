"""Reading a follow-up question about shown products: which product, and what is asked.

Pure functions over the message, its entities and the products just shown, so the
resolution rules ("it", "the second", "the last one", "the lamp") are tested without a
store or a tracker. The NLU tags ``ordinal`` (DIET) and ``colour`` (spaCy's EntityRuler);
the words are read again here because a follow-up is short and an ordinal DIET missed
("how much is the 2nd?") is still plain in the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

LAST = -1

ORDINAL_WORDS: dict[str, int] = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "1": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "2": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "3": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "4": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "5": 5,
    "frist": 1,
    "fisrt": 1,
    "secnd": 2,
    "secon": 2,
    "thrid": 3,
    "last": LAST,
    "final": LAST,
    "bottom": LAST,
    "top": 1,
}

# An ordinal in running text: "the second", "2nd one", "number 3", "no. 2", "the last".
_ORDINAL_IN_TEXT = re.compile(
    r"\b(?:(?:number|no\.?|#)\s*(?P<num>[1-5])\b"
    r"|(?P<word>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final)\b)",
    re.IGNORECASE,
)
# "them", "all of them", "each": the question is about every product shown.
_ALL_SHOWN = re.compile(r"\b(them|they|all of them|each|all three|both|those)\b", re.IGNORECASE)


class Asked(StrEnum):
    """What a follow-up asks about a product."""

    DETAILS = "details"
    PRICE = "price"
    STOCK = "stock"
    COLOUR = "colour"
    MATERIAL = "material"
    SIZE = "size"


_ASKED_PATTERNS: tuple[tuple[Asked, re.Pattern[str]], ...] = (
    (Asked.PRICE, re.compile(r"\bh[ou]?w m[uo]?ch|pric|cost|£|expensive|cheap|pay for", re.I)),
    (
        Asked.STOCK,
        re.compile(
            r"stock|stok|st0ck|availab|avail\b|sold out|any left|have any|get it now|order it now"
            r"|still (?:on sale|for sale|sell)",
            re.I,
        ),
    ),
    (Asked.COLOUR, re.compile(r"colou?rs?\b|colo?r|come in|comes in|shade of|avail\w* in", re.I)),
    (Asked.MATERIAL, re.compile(r"made (?:of|from|out of)|materi|fabric|what is it made", re.I)),
    (
        Asked.SIZE,
        re.compile(r"\bsizes?\b|dimension|how (?:big|tall|wide|long|large|heavy)|measur", re.I),
    ),
)

# Words the catalogue's titles and descriptions use for what a product is made of.
MATERIALS = (
    "brass", "linen", "ceramic", "stoneware", "porcelain", "rattan", "leather", "wool", "cotton",
    "oak", "walnut", "pine", "bamboo", "glass", "steel", "copper", "marble", "jute", "velvet",
    "wicker", "cashmere", "silk", "enamel", "cast iron", "terracotta", "wood", "wooden", "paper",
    "silver", "gold", "concrete", "acacia", "beech", "mango wood", "felt", "recycled plastic",
)  # fmt: skip
_MEASURE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:x\s*\d+(?:[.,]\d+)?\s*)*(?:cm|mm|m|ml|l|litres?|inch(?:es)?|in|kg|g)\b"
    r"|\b(?:A[3-6]|E27|E14|B22|GU10)\b",
    re.IGNORECASE,
)


# Plain colour words customers use; the catalogue's own colours arrive as ``colour``
# entities from spaCy's EntityRuler, which only knows the colours the shop sells.
BASIC_COLOURS = (
    "black", "white", "grey", "gray", "blue", "navy", "green", "red", "pink", "yellow",
    "orange", "purple", "brown", "beige", "cream", "teal", "silver", "gold",
)  # fmt: skip


def asked_about(text: str, colour_entities: Sequence[str] = ()) -> list[Asked]:
    """What the message asks, in a fixed order; "tell me more" (details) when nothing specific."""
    found = [asked for asked, pattern in _ASKED_PATTERNS if pattern.search(text)]
    if (colour_entities or asked_colour(text)) and Asked.COLOUR not in found:
        found.append(Asked.COLOUR)
    if Asked.COLOUR in found and re.search(r"availa?b\w* in\b", text, re.I):
        # "is it available in blue" asks the colour, not the stock.
        found = [a for a in found if a is not Asked.STOCK]
    if Asked.COLOUR not in found and Asked.MATERIAL not in found and materials_in(text):
        found.append(Asked.MATERIAL)  # "is the mug ceramic?"
    return found or [Asked.DETAILS]


def asked_colour(text: str, colour_entities: Sequence[str] = ()) -> str | None:
    """The colour a question names ("does it come in blue"), tagged or a plain colour word."""
    if colour_entities:
        return colour_entities[0]
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in BASIC_COLOURS:
            return word
    return None


def ordinal_position(value: str) -> int | None:
    """1-based position of an ordinal ("second" → 2, "last one" → LAST), or None."""
    words = re.findall(r"[a-z0-9]+", value.lower())
    for word in words:
        if word in ORDINAL_WORDS:
            return ORDINAL_WORDS[word]
    return None


def ordinals_in(text: str, entities: Sequence[str]) -> list[int]:
    """Positions the customer pointed at: tagged ``ordinal`` values first, then the text's."""
    positions = [p for p in (ordinal_position(v) for v in entities) if p is not None]
    if positions:
        return list(dict.fromkeys(positions))
    found = []
    for match in _ORDINAL_IN_TEXT.finditer(text):
        value = match.group("num") or match.group("word")
        found.append(ORDINAL_WORDS[value.lower()])
    return list(dict.fromkeys(found))


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2}


def titles_matching(word: str, titles: Sequence[str]) -> list[int]:
    """Indexes of the ``titles`` that every word of ``word`` ("the lamp", "lamps") appears in."""
    wanted = _words(word) - {"the", "one", "that", "this"}
    if not wanted:
        return []
    return [i for i, title in enumerate(titles) if wanted <= _words(title)]


# Words of a question that name no product even when a title happens to hold them.
_NOT_PRODUCT_WORDS = {
    "does", "come", "much", "what", "made", "tell", "more", "about", "stock", "still",
    "available", "colour", "color", "size", "have", "with", "that", "this", "there", "price",
}  # fmt: skip


def _named_in_text(text: str, titles: Sequence[str]) -> int | None:
    """The one shown product a word of the message names ("is the journal in stock")."""
    hits: set[int] = set()
    for word in _words(text) - _NOT_PRODUCT_WORDS:
        if len(word) < 4:
            continue
        matches = titles_matching(word, titles)
        if len(matches) == 1:
            hits.add(matches[0])
    return hits.pop() if len(hits) == 1 else None


@dataclass(frozen=True)
class Resolution:
    """Which shown products a follow-up is about (indexes into the shown list).

    ``indexes`` empty means the question could not be tied to a product: ``unmatched`` is
    then the product word that matched none of them (or None when nothing pointed anywhere).
    """

    indexes: tuple[int, ...]
    unmatched: str | None = None


def resolve(
    text: str,
    titles: Sequence[str],
    ordinals: Sequence[str] = (),
    product_words: Sequence[str] = (),
    discussed: int | None = None,
) -> Resolution:
    """Tie a follow-up to the shown products (``titles``, in the order shown).

    An ordinal picks that position; a product word the shown product whose title has it;
    "them" all of them; "it" (or nothing) the only one shown or the one discussed last.
    """
    if not titles:
        return Resolution(())
    positions = ordinals_in(text, ordinals)
    if positions:
        picked = [len(titles) - 1 if p == LAST else p - 1 for p in positions]
        return Resolution(tuple(i for i in picked if 0 <= i < len(titles)))
    for word in product_words:
        matches = titles_matching(word, titles)
        if matches:
            return Resolution(tuple(matches[:1] if discussed not in matches else [discussed]))
        return Resolution((), unmatched=word)
    named = _named_in_text(text, titles)
    if named is not None:
        return Resolution((named,))
    if _ALL_SHOWN.search(text) and len(titles) > 1:
        return Resolution(tuple(range(len(titles))))
    if len(titles) == 1:
        return Resolution((0,))
    if discussed is not None and 0 <= discussed < len(titles):
        return Resolution((discussed,))
    return Resolution(())


def materials_in(*texts: str) -> list[str]:
    """The materials a product's title and description name, in the list's order."""
    joined = " ".join(texts).lower()
    found = [m for m in MATERIALS if re.search(rf"\b{re.escape(m)}\b", joined)]
    # "mango wood" names wood already; drop the shorter word it contains.
    return [m for m in found if not any(m != o and m in o for o in found)]


def measures_in(description: str) -> list[str]:
    """Measurements the description gives ("30 cm", "A5", "500 ml")."""
    return list(dict.fromkeys(m.group(0) for m in _MEASURE.finditer(description)))
