"""Semantic product search: free text -> embedding search filtered by price, category, colour.

``parse_query`` is a pure function that pulls the hard constraints out of a message
("a red lamp for my daughter under 20 pounds" -> colour red, category lamps, price <= 20);
``SemanticSearch`` ranks the catalogue by cosine similarity to the message's embedding
among the items that satisfy them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from recsys.base import top_k
from recsys.content import require_embeddings
from recsys.interactions import COLOURS, Catalogue

_NUM = r"(\d+(?:[.,]\d{1,2})?)"
_CUR = r"(?:£|\$|€|gbp|eur|usd)?"
_UNIT = r"(?:\s*(?:pounds?|quid|gbp|euros?|eur|dollars?|usd|£|€|\$))?"
_AMOUNT = rf"{_CUR}\s*{_NUM}{_UNIT}"

_PRICE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\bbetween\s+{_AMOUNT}\s+and\s+{_AMOUNT}", re.I), "range"),
    (re.compile(rf"\bfrom\s+{_AMOUNT}\s+to\s+{_AMOUNT}", re.I), "range"),
    (re.compile(rf"{_CUR}\s*{_NUM}\s*(?:-|–|to)\s*{_AMOUNT}", re.I), "range"),
    (
        re.compile(
            rf"\b(?:under|below|less than|cheaper than|up to|no more than|max(?:imum)?|at most|within)\s+{_AMOUNT}",
            re.I,
        ),
        "max",
    ),
    (
        re.compile(rf"\b(?:over|above|more than|at least|min(?:imum)?|from)\s+{_AMOUNT}", re.I),
        "min",
    ),
    (re.compile(rf"\b(?:around|about|roughly|approximately)\s+{_AMOUNT}", re.I), "around"),
)


class QueryEncoder(Protocol):
    """Anything that embeds one text (``recsys.embeddings.TextEmbedder``)."""

    def encode_one(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class SearchQuery:
    """What a message asks for: free text plus the hard constraints found in it."""

    text: str
    min_price: float | None = None
    max_price: float | None = None
    categories: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()


def _amount(raw: str) -> float:
    return float(raw.replace(",", "."))


def parse_price(message: str) -> tuple[float | None, float | None, str]:
    """(min price, max price, message without the price phrase); None where unbounded."""
    for pattern, kind in _PRICE_PATTERNS:
        match = pattern.search(message)
        if not match:
            continue
        rest = (message[: match.start()] + " " + message[match.end() :]).strip()
        values = [_amount(g) for g in match.groups() if g is not None]
        if kind == "range":
            low, high = sorted(values[:2])
            return low, high, rest
        if kind == "max":
            return None, values[0], rest
        if kind == "min":
            return values[0], None, rest
        return round(values[0] * 0.8, 2), round(values[0] * 1.2, 2), rest
    return None, None, message


def _singular(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def parse_query(
    message: str, categories: Iterable[str] = (), colours: Iterable[str] = COLOURS
) -> SearchQuery:
    """Split a shopper's message into free text and price / category / colour constraints.

    Categories match by whole words, singular or plural ("lamps" finds category "lamp",
    "home decor" needs both words).
    """
    low, high, rest = parse_price(message)
    words = [_singular(w) for w in re.findall(r"[a-z]+", message.lower())]
    joined = f" {' '.join(words)} "
    found_categories = []
    for category in categories:
        key = " ".join(_singular(w) for w in re.findall(r"[a-z]+", str(category).lower()))
        if key and f" {key} " in joined and category not in found_categories:
            found_categories.append(str(category))
    colour_set = {c.lower() for c in colours}
    found_colours = []
    for word in re.findall(r"[a-z]+", message.lower()):
        colour = "grey" if word == "gray" else word
        if colour in colour_set and colour not in found_colours:
            found_colours.append(colour)
    text = re.sub(r"\s+", " ", rest).strip(" ,.") or message.strip()
    return SearchQuery(text, low, high, tuple(found_categories), tuple(found_colours))


@dataclass(frozen=True)
class SearchHit:
    """One product found, its similarity and what it matched."""

    item_id: object
    score: float
    reason: str


class SemanticSearch:
    """Cosine search over catalogue embeddings with price, category and colour filters.

    Price and category are hard constraints. Colour is hard too, unless no item of that
    colour satisfies the rest: then the closest matches are shown and their reason says
    so ("no red one in stock"), rather than an empty answer.
    """

    def fit(self, catalogue: Catalogue) -> SemanticSearch:
        """Index the catalogue (it must carry embeddings)."""
        self.embeddings_ = require_embeddings(catalogue).astype(np.float32)
        self.item_ids_ = catalogue.item_ids
        self.prices_ = np.asarray(catalogue.prices, dtype=float)
        self.categories_ = np.array(
            [str(c or "").lower() for c in catalogue.categories], dtype=object
        )
        self.colours_ = np.array([str(c or "").lower() for c in catalogue.colours], dtype=object)
        # Colour words an item answers to: its colour field ("forest green" -> green,
        # forest) and colour words in its title ("Red Lamp" with no colour field).
        shop_words = {w for c in self.colours_ for w in re.findall(r"[a-z]+", c)}
        self.colour_names_ = sorted(shop_words | set(COLOURS))
        vocabulary = set(self.colour_names_)
        self.colour_words_ = [
            frozenset(re.findall(r"[a-z]+", f"{colour} {str(title).lower()}")) & vocabulary
            for colour, title in zip(self.colours_, catalogue.titles, strict=True)
        ]
        self.in_stock_ = catalogue.in_stock()
        self.category_names_ = sorted({str(c) for c in catalogue.categories if c})
        return self

    def parse(self, message: str) -> SearchQuery:
        """``parse_query`` against this catalogue's categories and colour words."""
        return parse_query(message, self.category_names_, self.colour_names_)

    def candidates(
        self, query: SearchQuery, available: np.ndarray | None = None, *, with_colour: bool = True
    ) -> np.ndarray:
        """Boolean mask of the items that satisfy the query's constraints and are in stock."""
        mask = self.in_stock_.copy() if available is None else np.asarray(available, bool).copy()
        if query.min_price is not None:
            mask &= self.prices_ >= query.min_price
        if query.max_price is not None:
            mask &= self.prices_ <= query.max_price
        if query.categories:
            mask &= np.isin(self.categories_, [c.lower() for c in query.categories])
        if query.colours and with_colour:
            wanted = set(query.colours)
            mask &= np.array([bool(words & wanted) for words in self.colour_words_], dtype=bool)
        return mask

    def search(
        self,
        query: SearchQuery,
        query_vector: np.ndarray,
        k: int = 10,
        *,
        available: np.ndarray | None = None,
    ) -> list[SearchHit]:
        """The ``k`` best matches; empty when nothing satisfies price and category."""
        mask = self.candidates(query, available)
        colour_relaxed = bool(query.colours) and not mask.any()
        if colour_relaxed:
            mask = self.candidates(query, available, with_colour=False)
        scores = np.where(mask, self.embeddings_ @ query_vector.astype(np.float32), -np.inf)
        return [
            SearchHit(self.item_ids_[i], float(scores[i]), self._reason(query, i, colour_relaxed))
            for i in top_k(scores, k)
        ]

    def _reason(self, query: SearchQuery, col: int, colour_relaxed: bool) -> str:
        parts = [f"matches “{query.text}”"]
        if query.max_price is not None or query.min_price is not None:
            parts.append(f"£{self.prices_[col]:.2f} is within your budget")
        if colour_relaxed:
            parts.append(f"no {' or '.join(query.colours)} one in stock, this is the closest")
        elif query.colours:
            parts.append(f"in {' '.join(sorted(self.colour_words_[col] & set(query.colours)))}")
        return ", ".join(parts)


def search_products(
    index: SemanticSearch, encoder: QueryEncoder, message: str, k: int = 10
) -> list[SearchHit]:
    """Parse ``message``, embed its free text with ``encoder`` and search ``index``."""
    query = index.parse(message)
    return index.search(query, encoder.encode_one(query.text), k)
