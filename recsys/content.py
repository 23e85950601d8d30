"""Content similarity from text embeddings: cold-start items and "more like this"."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.base import Recommender, decay_weights
from recsys.interactions import Catalogue, Interactions


def require_embeddings(catalogue: Catalogue) -> np.ndarray:
    """The catalogue's embeddings, or a clear error saying how to attach them."""
    if catalogue.embeddings is None:
        raise ValueError(
            "the catalogue has no embeddings: attach them with recsys.embeddings.embed_catalogue"
        )
    if len(catalogue.embeddings) != len(catalogue):
        raise ValueError("catalogue embeddings do not match the catalogue's length")
    return catalogue.embeddings


def profile_scores(history: sp.csr_matrix, embeddings: np.ndarray) -> np.ndarray:
    """Cosine between each user's weighted mean item embedding and every item."""
    profiles = np.asarray(history @ embeddings, dtype=np.float32)
    norms = np.linalg.norm(profiles, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (profiles / norms) @ embeddings.T


class ContentRecommender(Recommender):
    """Ranks items by similarity to the (recency-weighted) embedding profile of a user."""

    name = "content"

    def __init__(self, half_life_days: float | None = 90.0) -> None:
        self.half_life_days = half_life_days

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        self.embeddings_ = require_embeddings(catalogue)
        purchases = interactions.purchases()
        decay = decay_weights(purchases.timestamps, self.fitted_at_, self.half_life_days)
        self.history_ = purchases.to_csr(self.user_ids_, self.item_ids_, weights=decay)

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        return profile_scores(self.history_[rows], self.embeddings_)

    def similar_items(self, item_id: object, k: int = 10) -> list[tuple[object, float]]:
        """The ``k`` items whose text is closest to ``item_id``'s (itself excluded)."""
        col = (
            int(np.flatnonzero(self.item_ids_ == item_id)[0])
            if item_id in set(self.item_ids_.tolist())
            else -1
        )
        if col < 0:
            raise KeyError(f"item {item_id!r} is not in the catalogue")
        sims = self.embeddings_ @ self.embeddings_[col]
        sims[col] = -np.inf
        best = np.argsort(-sims)[:k]
        return [(self.item_ids_[i], float(sims[i])) for i in best]
