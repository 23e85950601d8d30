"""EASE (Steck 2019): a closed-form item-item linear model, strong on purchase data."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.base import Recommender, decay_weights
from recsys.interactions import Catalogue, Interactions


def bm25_weight(matrix: sp.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """BM25-weight a users x items count matrix (items are "terms", users "documents")."""
    out = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    n_users = max(out.shape[0], 1)
    df = np.bincount(out.indices, minlength=out.shape[1])
    idf = np.log(n_users / (1.0 + df)).clip(min=0) + 1e-3
    lengths = np.diff(out.indptr)
    avg = lengths.mean() if lengths.size and lengths.mean() > 0 else 1.0
    row_len = np.repeat(lengths, lengths)
    tf = out.data
    out.data = tf * (k1 + 1.0) / (k1 * (1.0 - b + b * row_len / avg) + tf) * idf[out.indices]
    return out


def ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    """Solve EASE: B = I - P / diag(P) with P = (G + l2 I)^-1, diagonal forced to zero."""
    g = gram.copy()
    g[np.diag_indices_from(g)] += l2
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0.0
    return b


class EASE(Recommender):
    """EASE on user-level purchases.

    ``weighting``: ``binary`` (the paper), ``log`` (log1p of the summed weight) or
    ``bm25``. ``half_life_days`` decays a user's history when scoring, so last month's
    purchases steer the next basket more than last year's.
    """

    name = "ease"

    def __init__(
        self, l2: float = 500.0, weighting: str = "binary", half_life_days: float | None = None
    ) -> None:
        self.l2 = l2
        self.weighting = weighting
        self.half_life_days = half_life_days

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        if self.weighting not in ("binary", "log", "bm25"):
            raise ValueError(f"EASE weighting must be binary, log or bm25, not {self.weighting!r}")
        train = self._weighted(self.user_items_)
        gram = np.asarray((train.T @ train).todense())
        self.weights_ = ease_weights(gram, self.l2)
        purchases = interactions.purchases()
        decay = decay_weights(purchases.timestamps, self.fitted_at_, self.half_life_days)
        history = purchases.to_csr(self.user_ids_, self.item_ids_, weights=decay)
        if self.half_life_days is None:
            history.data = np.ones_like(history.data)
        self.history_ = history

    def _weighted(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        if self.weighting == "bm25":
            return bm25_weight(counts)
        out = counts.copy()
        out.data = np.log1p(out.data) if self.weighting == "log" else np.ones_like(out.data)
        return out

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.history_[rows] @ self.weights_)
