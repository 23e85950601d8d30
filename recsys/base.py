"""What every recommender shares: fit on interactions + catalogue, score users, take top-k."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.interactions import Catalogue, Interactions

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Recommendation:
    """One recommended item, its score and why it was chosen."""

    item_id: object
    score: float
    reason: str = ""


class Recommender:
    """Base class: fit on interactions over a catalogue; score users over the catalogue.

    Subclasses implement ``_fit`` and ``_score_known`` (rows of ``user_items_``); users
    the model never saw get ``_score_unknown`` (popularity-free zeros by default).
    """

    name = "recommender"

    def fit(self, interactions: Interactions, catalogue: Catalogue) -> Self:
        """Learn from ``interactions``; recommendable items are ``catalogue``'s."""
        self.item_ids_ = catalogue.item_ids
        # First-seen order (not sorted): ids may mix types, e.g. ints and strings.
        self.user_ids_ = np.asarray(pd.unique(interactions.users))
        self._user_pos_ = {u: i for i, u in enumerate(self.user_ids_.tolist())}
        self._item_pos_ = {item: i for i, item in enumerate(self.item_ids_.tolist())}
        purchases = interactions.purchases()
        self.user_items_ = purchases.to_csr(self.user_ids_, self.item_ids_)
        self.fitted_at_ = interactions.end if len(interactions) else np.datetime64("now", "s")
        self._fit(interactions, catalogue)
        return self

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        raise NotImplementedError

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _score_unknown(self, n: int) -> np.ndarray:
        return np.zeros((n, len(self.item_ids_)))

    def user_rows(self, user_ids: Sequence[object] | np.ndarray) -> np.ndarray:
        """Row of each user in ``user_items_`` (-1 for users unseen at fit time)."""
        return np.array([self._user_pos_.get(u, -1) for u in user_ids], dtype=np.int64)

    def score(self, user_ids: Sequence[object]) -> np.ndarray:
        """Dense scores, users x catalogue items; higher is better."""
        rows = self.user_rows(user_ids)
        scores = np.empty((len(rows), len(self.item_ids_)))
        known = rows >= 0
        if known.any():
            scores[known] = self._score_known(rows[known])
        if (~known).any():
            scores[~known] = self._score_unknown(int((~known).sum()))
        return scores

    def seen_mask(self, user_ids: Sequence[object]) -> sp.csr_matrix:
        """Users x items: 1 where the user bought the item before fit time."""
        rows = self.user_rows(user_ids)
        picked = self.user_items_[np.maximum(rows, 0)]
        known = sp.diags((rows >= 0).astype(np.float64))
        out = (known @ picked).tocsr()
        out.eliminate_zeros()
        out.data[:] = 1.0
        return out

    def recommend(
        self, user_id: object, k: int = 10, *, exclude_seen: bool = False
    ) -> list[Recommendation]:
        """Top ``k`` items for one user (``exclude_seen`` drops what they bought before)."""
        scores = self.score([user_id])[0]
        if exclude_seen:
            row = self.user_rows([user_id])[0]
            if row >= 0:
                scores[self.user_items_[row].indices] = -np.inf
        return [Recommendation(self.item_ids_[i], float(scores[i])) for i in top_k(scores, k)]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) <= k:
        order = finite[np.argsort(-scores[finite], kind="stable")]
        return order
    part = finite[np.argpartition(-scores[finite], k - 1)[:k]]
    return part[np.argsort(-scores[part], kind="stable")]


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Row-wise top-k column indices of a dense matrix, best first (-inf never wins)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def decay_weights(
    timestamps: np.ndarray, now: np.datetime64, half_life_days: float | None
) -> np.ndarray:
    """exp-decay weight per timestamp: 1 now, 0.5 after ``half_life_days`` (1 if None)."""
    if half_life_days is None:
        return np.ones(len(timestamps))
    age = np.divide(now - timestamps, DAY)
    return np.power(0.5, np.clip(age, 0, None) / half_life_days)


def row_normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to max 1 (rows of zeros stay zero) so components can be blended."""
    peak = matrix.max(axis=1, keepdims=True)
    peak[peak <= 0] = 1.0
    return matrix / peak
