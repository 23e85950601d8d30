"""TIFU-KNN (Hu et al., SIGIR 2020): personal item frequency over baskets, plus user-KNN.

"Modeling Personalized Item Frequency Information for Next-basket Recommendation": a
customer's baskets (here: their purchases of one calendar day) are turned into one
vector over the catalogue, then blended with the vectors of the customers most like them.

* Baskets are split into groups of ``group_size``, counted back from the latest (so the
  oldest group may be short). Within a group the i-th basket from the end weighs
  ``within_decay ** i``; the group vector is that weighted sum over the group's size.
* The user vector is the groups' vectors weighted ``group_decay ** j`` (the j-th group
  from the end), summed and divided by the number of groups: a time-decayed personal
  item frequency ("what they keep buying, lately").
* Prediction: ``alpha * own + (1 - alpha) * mean of the neighbours' vectors``, the
  neighbours being the ``neighbours`` nearest other customers by Euclidean distance
  between user vectors (the paper's choice). The neighbour part is what brings items
  the customer never bought.

The paper's point, and why it is here: on repeat-heavy shops it beats the personal
top-frequency rule ("buy again") that simpler models cannot beat. The hybrid can weigh
it as a component; the comparison reports it as a baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.base import DAY, Recommender
from recsys.interactions import Catalogue, Interactions, index_of

# Rows of user vectors compared at once when finding neighbours (bounds memory to
# CHUNK x users floats).
CHUNK = 1024


def user_vectors(
    purchases: Interactions,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    *,
    group_size: int,
    within_decay: float,
    group_decay: float,
) -> sp.csr_matrix:
    """Users x items TIFU vectors from purchases, one basket per customer and day."""
    rows = index_of(user_ids, purchases.users)
    cols = index_of(item_ids, purchases.items)
    keep = (rows >= 0) & (cols >= 0)
    days = ((purchases.timestamps - np.datetime64("1970-01-01", "s")) // DAY).astype(np.int64)
    frame = pd.DataFrame({"r": rows[keep], "c": cols[keep], "d": days[keep]})
    # One entry per (customer, basket, item): a basket is a set of items.
    frame = frame.drop_duplicates()
    if frame.empty:
        return sp.csr_matrix((len(user_ids), len(item_ids)))
    baskets = frame[["r", "d"]].drop_duplicates()
    # 0 = the customer's latest basket.
    back = baskets.groupby("r")["d"].rank(method="first", ascending=False).astype(np.int64) - 1
    n_baskets = baskets.groupby("r")["d"].transform("size").to_numpy()
    back = back.to_numpy()
    group = back // group_size
    position = back % group_size
    n_groups = -(-n_baskets // group_size)
    # The oldest group holds what is left over; the others are full.
    in_group = np.where(group == n_groups - 1, n_baskets - group * group_size, group_size)
    weight = np.power(within_decay, position) / in_group * np.power(group_decay, group) / n_groups
    weights = pd.Series(weight, index=pd.MultiIndex.from_frame(baskets))
    w = weights.reindex(pd.MultiIndex.from_frame(frame[["r", "d"]])).to_numpy()
    out = sp.csr_matrix(
        (w, (frame["r"].to_numpy(), frame["c"].to_numpy())),
        shape=(len(user_ids), len(item_ids)),
    )
    out.sum_duplicates()
    return out


def nearest_users(vectors: sp.csr_matrix, neighbours: int) -> np.ndarray:
    """Each user's ``neighbours`` nearest other users (Euclidean), users x k row indices.

    Users without purchases have no neighbours worth having; they still get k rows
    (their part is zero anyway, see ``TIFUKNN``).
    """
    n = vectors.shape[0]
    k = min(neighbours, n - 1)
    if k <= 0:
        return np.zeros((n, 0), dtype=np.int32)
    squared = np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()
    transposed = vectors.T.tocsc()
    out = np.empty((n, k), dtype=np.int32)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        dots = (vectors[start:stop] @ transposed).toarray()
        distance = squared[start:stop, None] + squared[None, :] - 2.0 * dots
        distance[np.arange(stop - start), np.arange(start, stop)] = np.inf  # not oneself
        out[start:stop] = np.argpartition(distance, k - 1, axis=1)[:, :k]
    return out


class TIFUKNN(Recommender):
    """TIFU-KNN on purchases; defaults are the paper's typical values for grocery data."""

    name = "tifu_knn"

    def __init__(
        self,
        group_size: int = 7,
        within_decay: float = 0.9,
        group_decay: float = 0.7,
        neighbours: int = 300,
        alpha: float = 0.7,
    ) -> None:
        self.group_size = group_size
        self.within_decay = within_decay
        self.group_decay = group_decay
        self.neighbours = neighbours
        self.alpha = alpha

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        self.own_ = user_vectors(
            interactions.purchases(),
            self.user_ids_,
            self.item_ids_,
            group_size=self.group_size,
            within_decay=self.within_decay,
            group_decay=self.group_decay,
        ).astype(np.float32)
        self.neighbours_ = nearest_users(self.own_, self.neighbours)

    def parts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The own and the neighbours' mean vectors of user ``rows`` (-1: zeros), dense."""
        n_items = len(self.item_ids_)
        own = np.zeros((len(rows), n_items), dtype=np.float32)
        neighbour = np.zeros((len(rows), n_items), dtype=np.float32)
        known = rows >= 0
        if known.any() and self.neighbours_.shape[1]:
            picked = self.neighbours_[rows[known]]
            k = picked.shape[1]
            averaging = sp.csr_matrix(
                (
                    np.full(picked.size, 1.0 / k, dtype=np.float32),
                    picked.ravel(),
                    np.arange(0, picked.size + 1, k),
                ),
                shape=(len(picked), self.own_.shape[0]),
            )
            neighbour[known] = (averaging @ self.own_).toarray()
        if known.any():
            own[known] = self.own_[rows[known]].toarray()
        return own, neighbour

    def user_parts(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """``parts`` of one user row, without building a sparse averaging matrix (serving)."""
        n_items = len(self.item_ids_)
        own = np.zeros(n_items, dtype=np.float32)
        neighbour = np.zeros(n_items, dtype=np.float32)
        if row < 0:
            return own, neighbour
        start, end = self.own_.indptr[row], self.own_.indptr[row + 1]
        own[self.own_.indices[start:end]] = self.own_.data[start:end]
        if self.neighbours_.shape[1]:
            picked = self.own_[self.neighbours_[row]]
            summed = np.bincount(picked.indices, weights=picked.data, minlength=n_items)
            neighbour = (summed / self.neighbours_.shape[1]).astype(np.float32)
        return own, neighbour

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        own, neighbour = self.parts(rows)
        return self.alpha * own + (1.0 - self.alpha) * neighbour
