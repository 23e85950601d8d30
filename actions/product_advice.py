"""What the assistant can suggest: recommendations, search hits and items bought together.

``ProductAdvisor`` puts the recsys models (loaded once per process, see
``actions.services.get_advisor``) together with what a customer is shown: title, price
and why. When the trained artifacts are missing or broken it falls back to popularity
computed from the store's own order history; when even that is impossible (an empty
shop) it has nothing to suggest and the actions say "I can't recommend right now".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import SupportsInt

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from recsys.artifacts import latest_metadata
from recsys.interactions import DataError
from recsys.popularity import Popularity
from recsys.search import QueryEncoder, search_products
from recsys.serving import LoadedModels, load_models
from recsys.store_data import load_store_data

logger = logging.getLogger(__name__)

SERVED_MODELS = ("recommender", "search")
BOUGHT_TOGETHER = "bought together with"


@dataclass(frozen=True)
class Suggestion:
    """One product to show: its id, title, price (None when unknown) and the reason."""

    product_id: int
    title: str
    price: float | None
    reason: str


@dataclass(frozen=True)
class Advice:
    """Suggestions and where they came from: recommender, search, popularity or none."""

    suggestions: tuple[Suggestion, ...]
    source: str

    @property
    def product_ids(self) -> list[int]:
        """The suggested products' ids, in the order shown."""
        return [s.product_id for s in self.suggestions]


@dataclass(frozen=True)
class ProductFacts:
    """Title and price of each product id the models know."""

    titles: dict[int, str] = field(default_factory=dict)
    prices: dict[int, float] = field(default_factory=dict)

    def suggestion(self, product_id: object, reason: str) -> Suggestion:
        """The customer-facing suggestion for a product id."""
        # The models' item ids are opaque (numpy integers here); int() is what they support.
        if not isinstance(product_id, SupportsInt | str):
            raise TypeError(f"a product id must be a number, got {product_id!r}")
        pid = int(product_id)
        return Suggestion(pid, self.titles.get(pid, f"product {pid}"), self.prices.get(pid), reason)


class PopularityFallback:
    """Trending in-stock products from the store's history, for when no model is trained."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        data = load_store_data(sessions)
        self.catalogue = data.catalogue
        self.model = Popularity().fit(data.interactions, data.catalogue)
        self.facts = ProductFacts(
            _by_id(data.catalogue.item_ids, data.catalogue.titles, str),
            _by_id(data.catalogue.item_ids, data.catalogue.prices, float),
        )

    def top(self, k: int, exclude: Iterable[int] = ()) -> list[Suggestion]:
        """The ``k`` most popular products in stock, leaving out ``exclude``."""
        scores = np.where(self.catalogue.in_stock(), self.model.scores_, -np.inf)
        excluded = set(exclude)
        order = [int(c) for c in np.argsort(-scores, kind="stable") if np.isfinite(scores[c])]
        picks = [c for c in order if int(self.catalogue.item_ids[c]) not in excluded][:k]
        return [
            self.facts.suggestion(self.catalogue.item_ids[c], self.model.reason(c)) for c in picks
        ]


def _by_id(ids: Iterable[SupportsInt], values: Iterable[object], cast: Callable) -> dict:
    return {int(i): cast(v) for i, v in zip(ids, values, strict=True)}


def _model_facts(models: LoadedModels) -> ProductFacts:
    facts = ProductFacts()
    if models.recommender is not None:
        rec = models.recommender
        facts.titles.update(_by_id(rec.item_ids_, rec.titles_, str))
    if models.search is not None:
        index = models.search
        facts.prices.update(_by_id(index.item_ids_, index.prices_, float))
    return facts


def artifact_stamp(artifacts_dir: Path) -> tuple[str | None, ...]:
    """The latest version of each served artifact (None where there is none)."""
    stamps = []
    for name in SERVED_MODELS:
        meta = latest_metadata(artifacts_dir, name)
        stamps.append(meta.version if meta else None)
    return tuple(stamps)


class ProductAdvisor:
    """Recommendations, search and bought-together suggestions with titles, prices, reasons."""

    def __init__(
        self,
        models: LoadedModels,
        encoder: QueryEncoder | None,
        fallback: PopularityFallback | None,
        stamp: tuple[str | None, ...] = (),
    ) -> None:
        self.models = models
        self.encoder = encoder
        self.fallback = fallback
        self.stamp = stamp
        self.facts = _model_facts(models)
        if fallback is not None:
            # The store's titles and prices are the current ones; prefer them.
            self.facts.titles.update(fallback.facts.titles)
            self.facts.prices.update(fallback.facts.prices)
        recommender = models.recommender
        self._known = set(recommender.item_ids_.tolist()) if recommender is not None else set()

    @property
    def can_search(self) -> bool:
        """True when free-text search works (search index and text encoder loaded)."""
        return self.models.search is not None and self.encoder is not None

    @property
    def degraded(self) -> bool:
        """True when some model is missing and the advisor falls back or refuses."""
        return self.models.recommender is None or not self.can_search

    def recommend(
        self, customer_id: int | None, k: int = 3, like_items: Iterable[int] = ()
    ) -> Advice:
        """Top ``k`` for a customer (None: a guest), optionally "more like" some products."""
        recommender = self.models.recommender
        if recommender is not None:
            seeds = tuple(i for i in like_items if i in self._known)
            # "More like X" is about new things: leave out whatever they bought before.
            recs = recommender.recommend(
                customer_id, k=k, like_items=seeds, exclude_seen=bool(seeds)
            )
            return Advice(
                tuple(self.facts.suggestion(r.item_id, r.reason) for r in recs), "recommender"
            )
        return self.popular(k, exclude=like_items)

    def popular(self, k: int = 3, exclude: Iterable[int] = ()) -> Advice:
        """Popular products from the store (the fallback); empty when the shop has no history."""
        if self.fallback is None:
            return Advice((), "none")
        return Advice(tuple(self.fallback.top(k, exclude)), "popularity")

    def search(self, message: str, k: int = 3) -> Advice:
        """Products matching a shopper's message (price, category and colour respected)."""
        if not self.can_search:
            return Advice((), "none")
        assert self.models.search is not None and self.encoder is not None
        hits = search_products(self.models.search, self.encoder, message, k=k)
        return Advice(tuple(self.facts.suggestion(h.item_id, h.reason) for h in hits), "search")

    def bought_together(
        self, customer_id: int | None, product_ids: Iterable[int], k: int = 2
    ) -> list[Suggestion]:
        """Products often bought with ``product_ids``; empty when there is no strong pairing."""
        recommender = self.models.recommender
        seeds = tuple(dict.fromkeys(i for i in product_ids if i in self._known))
        if recommender is None or not seeds:
            return []
        recs = recommender.recommend(customer_id, k=k * 3, like_items=seeds)
        paired = [r for r in recs if r.reason.startswith(BOUGHT_TOGETHER)]
        return [self.facts.suggestion(r.item_id, r.reason) for r in paired[:k]]


def load_advisor(
    artifacts_dir: Path,
    sessions: sessionmaker[Session],
    encoder_factory: Callable[[], QueryEncoder],
) -> ProductAdvisor:
    """Load the served models, the text encoder and (when needed) the popularity fallback."""
    stamp = artifact_stamp(artifacts_dir)
    models = load_models(artifacts_dir)
    for name, version in models.versions.items():
        logger.info("recommendations: serving %s %s from %s", name, version, artifacts_dir)
    for name, problem in models.problems.items():
        logger.warning("recommendations: %s unavailable (%s); falling back", name, problem)
    encoder = None
    if models.search is not None:
        try:
            encoder = encoder_factory()
        except (RuntimeError, OSError, ImportError) as exc:
            logger.warning("recommendations: text encoder not loaded (%s); no search", exc)
    fallback = None
    if models.recommender is None or models.search is None:
        try:
            fallback = PopularityFallback(sessions)
        except DataError as exc:
            logger.warning("recommendations: no popularity fallback either: %s", exc)
    return ProductAdvisor(models, encoder, fallback, stamp)
