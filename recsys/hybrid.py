"""The recommender the shop serves: repeat purchases + EASE + item-KNN + TIFU-KNN + content
+ trending.

Six signals, each put on one scale per user (``fusion``: max-scaled or reciprocal-rank,
``recsys/fusion.py``) and blended with weights tuned on a validation split of the same
kind as the test (``recsys/tuning.py``), so one data set can lean on EASE, another on
item-KNN or on re-orders, with no change of code:

* ``repeat``: what the customer bought before, decayed by age, with a floor for
  anything bought before (retail customers re-order; this is most of "what will they
  buy next").
* ``cf``: EASE item-item weights learnt from recency-weighted purchases (and, with a
  smaller weight, views and add-to-carts) — "bought together with X".
* ``knn``: item-item cosine similarity of the same purchases, ``knn_neighbours`` per
  item — the standard neighbourhood model, stronger than EASE on some data sets.
* ``tifu``: TIFU-KNN (``recsys/tifu.py``): the customer's basket-by-basket decayed item
  frequency blended with that of the customers most like them — the published
  next-basket baseline that beats "buy again" on repeat-heavy shops. Fitted only when
  weighed (``w_tifu`` not 0).
* ``content``: similarity of item text embeddings to the customer's history — covers
  items nobody has bought yet and "more like this".
* ``popularity``: time-decayed popularity with a short half-life (what is trending now);
  the whole answer for guests and customers without history.

Serving filters (out of stock, just bought) are applied in ``recommend`` only;
``score`` is the raw ranking the offline evaluation measures.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import numpy as np
import scipy.sparse as sp

from recsys.base import Recommendation, Recommender, decay_weights, top_k
from recsys.content import profile_scores
from recsys.ease import ease_weights
from recsys.fusion import cosine_neighbours, repeat_signal, scale
from recsys.interactions import PURCHASE, Catalogue, Interactions
from recsys.popularity import Popularity
from recsys.served import ServedRecommender, csr_row, last_bought_days
from recsys.tifu import TIFUKNN

COMPONENTS = ("repeat", "cf", "knn", "tifu", "content", "popularity")
__all__ = ["COMPONENTS", "Hybrid", "repeat_signal"]


class Hybrid(Recommender, ServedRecommender):
    """Blend of repeat, EASE, item-KNN, content and trending popularity with a reason per item."""

    name = "hybrid"
    # Artifacts pickled before these parameters existed load with them at these values
    # and serve exactly as they did (no item-KNN, max scaling).
    w_knn = 0.0
    knn_neighbours = 100
    fusion = "max"
    rank_offset = 10.0
    knn_weights_: sp.csr_matrix | None = None
    w_tifu = 0.0
    tifu_: TIFUKNN | None = None

    def __init__(
        self,
        l2: float = 300.0,
        train_half_life_days: float = 60.0,
        repeat_half_life_days: float = 90.0,
        trend_half_life_days: float = 7.0,
        w_repeat: float = 1.0,
        repeat_floor: float = 0.0,
        w_cf: float = 1.0,
        w_knn: float = 0.0,
        w_content: float = 0.1,
        w_popularity: float = 0.5,
        event_weight: float = 0.3,
        just_bought_days: int = 14,
        knn_neighbours: int = 100,
        fusion: str = "max",
        rank_offset: float = 10.0,
        w_tifu: float = 0.0,
        tifu_alpha: float = 0.7,
        tifu_group_size: int = 7,
        tifu_within_decay: float = 0.9,
        tifu_group_decay: float = 0.7,
        tifu_neighbours: int = 300,
    ) -> None:
        self.l2 = l2
        self.train_half_life_days = train_half_life_days
        self.repeat_half_life_days = repeat_half_life_days
        self.trend_half_life_days = trend_half_life_days
        self.w_repeat = w_repeat
        self.repeat_floor = repeat_floor
        self.w_cf = w_cf
        self.w_knn = w_knn
        self.w_content = w_content
        self.w_popularity = w_popularity
        self.event_weight = event_weight
        self.just_bought_days = just_bought_days
        self.knn_neighbours = knn_neighbours
        self.fusion = fusion
        self.rank_offset = rank_offset
        self.w_tifu = w_tifu
        self.tifu_alpha = tifu_alpha
        self.tifu_group_size = tifu_group_size
        self.tifu_within_decay = tifu_within_decay
        self.tifu_group_decay = tifu_group_decay
        self.tifu_neighbours = tifu_neighbours

    # ----------------------------------------------------------------- fitting
    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        now = self.fitted_at_
        kinds = interactions.kinds
        is_purchase = np.ones(len(interactions), bool) if kinds is None else kinds == PURCHASE
        signal = np.where(is_purchase, 1.0, self.event_weight)
        decay = decay_weights(interactions.timestamps, now, self.train_half_life_days)
        # Capped at 1 per (user, item): EASE wants "how sure are we they like it", and ten
        # orders of the same item say little more than one for co-purchase structure.
        train = interactions.to_csr(self.user_ids_, self.item_ids_, weights=signal * decay)
        train.data = np.minimum(train.data, 1.0)
        gram = np.asarray((train.T @ train).todense())
        self.cf_weights_ = ease_weights(gram, self.l2).astype(np.float32)
        self.knn_weights_ = cosine_neighbours(gram, self.knn_neighbours)
        history = interactions.to_csr(self.user_ids_, self.item_ids_, weights=signal)
        history.data = np.minimum(history.data, 1.0)
        self.history_ = history.astype(np.float32)

        purchases = interactions.purchases()
        self.repeat_ = self.repeat_matrix(purchases, self.repeat_half_life_days)
        self.purchase_counts_ = purchases.to_csr(
            self.user_ids_, self.item_ids_, weights=np.ones(len(purchases))
        )
        self.last_bought_day_ = last_bought_days(purchases, self.user_ids_, self.item_ids_)
        self.popularity_ = Popularity(self.trend_half_life_days).fit(interactions, catalogue)
        self.tifu_ = self.tifu_model().fit(interactions, catalogue) if self.w_tifu else None
        self.embeddings_ = catalogue.embeddings
        self.titles_ = catalogue.titles
        self.in_stock_ = catalogue.in_stock()

    def repeat_matrix(self, purchases: Interactions, half_life_days: float | None) -> sp.csr_matrix:
        """Users x items purchase counts decayed by age at fit time: the ``repeat`` signal."""
        decay = decay_weights(purchases.timestamps, self.fitted_at_, half_life_days)
        return purchases.to_csr(self.user_ids_, self.item_ids_, weights=decay)

    def tifu_model(self) -> TIFUKNN:
        """An unfitted TIFU-KNN with this hybrid's TIFU parameters."""
        return TIFUKNN(
            group_size=self.tifu_group_size,
            within_decay=self.tifu_within_decay,
            group_decay=self.tifu_group_decay,
            neighbours=self.tifu_neighbours,
            alpha=self.tifu_alpha,
        )

    # ----------------------------------------------------------------- scoring
    @property
    def weights(self) -> dict[str, float]:
        """Blend weights by component (content drops out without embeddings)."""
        return {
            "repeat": self.w_repeat,
            "cf": self.w_cf,
            "knn": self.w_knn,
            "tifu": self.w_tifu if self.tifu_ is not None else 0.0,
            "content": self.w_content if self.embeddings_ is not None else 0.0,
            "popularity": self.w_popularity,
        }

    def components(
        self, user_ids: list[object], seeds: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Each signal for each user on the blending scale (unknown users: popularity only).

        ``seeds`` (item columns) are added to every user's history, e.g. the lamp a
        customer asks "more like".
        """
        return self.scaled(self.raw_components(user_ids, seeds))

    def scaled(
        self,
        raw: dict[str, np.ndarray],
        fusion: str | None = None,
        repeat_floor: float | None = None,
    ) -> dict[str, np.ndarray]:
        """Raw component scores put on the scale of ``fusion`` (default: the model's own),
        bought-before items lifted to ``repeat_floor`` (default: the model's own)."""
        fusion = fusion or self.fusion
        floor = self.repeat_floor if repeat_floor is None else repeat_floor
        out = {
            name: scale(raw[name], fusion, self.rank_offset)
            for name in COMPONENTS
            if name != "popularity"
        }
        out["repeat"] = repeat_signal(out["repeat"], floor)
        # The same for every user: scaled once, shared by the rows.
        pop = raw["popularity"]
        out["popularity"] = np.broadcast_to(scale(pop[:1], fusion, self.rank_offset), pop.shape)
        return out

    def raw_components(
        self, user_ids: list[object], seeds: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Each signal's raw scores for each user (see ``components``)."""
        rows = self.user_rows(user_ids)
        safe = np.maximum(rows, 0)
        known = sp.diags((rows >= 0).astype(np.float32))
        history = (known @ self.history_[safe]).tocsr()
        repeat = (known @ self.repeat_[safe]).tocsr()
        if seeds is not None and len(seeds):
            # A seed outweighs a whole history: it is what the customer is asking about now.
            per_row = np.maximum(1.0, np.asarray(history.sum(axis=1)).ravel())
            boost = sp.csr_matrix(
                (
                    np.repeat(per_row, len(seeds)).astype(np.float32),
                    (np.repeat(np.arange(len(rows)), len(seeds)), np.tile(seeds, len(rows))),
                ),
                shape=history.shape,
            )
            history = history + boost
        n, n_items = len(rows), len(self.item_ids_)
        out = {
            "repeat": np.asarray(repeat.todense()),
            "cf": np.asarray(history @ self.cf_weights_),
            "knn": np.zeros((n, n_items), dtype=np.float32),
            "tifu": np.zeros((n, n_items), dtype=np.float32),
            "content": np.zeros((n, n_items), dtype=np.float32),
            "popularity": np.broadcast_to(self.popularity_.scores_, (n, n_items)),
        }
        if self.knn_weights_ is not None:
            out["knn"] = (history @ self.knn_weights_).toarray()
        if self.tifu_ is not None:
            out["tifu"] = self.tifu_.score(list(user_ids)).astype(np.float32)
        if self.embeddings_ is not None:
            out["content"] = np.clip(profile_scores(history, self.embeddings_), 0, None)
        return out

    def blend(
        self, parts: dict[str, np.ndarray], weights: dict[str, float] | None = None
    ) -> np.ndarray:
        """Weighted sum of component matrices."""
        weights = weights or self.weights
        return functools.reduce(operator.add, (weights[name] * parts[name] for name in COMPONENTS))

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        return self.blend(self.components(self.user_ids_[rows].tolist()))

    def _score_unknown(self, n: int) -> np.ndarray:
        # Every scaling keeps popularity's order, which is all a guest's ranking needs.
        return self.w_popularity * np.tile(self.popularity_.scores_, (n, 1))

    # ----------------------------------------------------------------- serving
    def recommend(
        self,
        user_id: object = None,
        k: int = 10,
        *,
        exclude_seen: bool = False,
        include_just_bought: bool = False,
        like_items: tuple = (),
        available: np.ndarray | None = None,
        exclude_items: tuple = (),
        now: np.datetime64 | None = None,
    ) -> list[Recommendation]:
        """See :meth:`recsys.served.ServedRecommender.recommend`; scored by the blend."""
        seeds = self._columns(like_items)
        row = int(self.user_rows([user_id])[0])
        weights = dict(self.weights)
        if row < 0 and not len(seeds):
            weights = {name: float(name == "popularity") for name in COMPONENTS}
        parts = self.user_components(row, seeds)
        contributions = {name: weights[name] * parts[name] for name in COMPONENTS}
        scores = sum(contributions.values())
        mask = self.in_stock_ if available is None else np.asarray(available, bool)
        scores = np.where(mask, scores, -np.inf)
        scores[seeds] = -np.inf
        scores[self._columns(exclude_items)] = -np.inf
        scores[self.bought_columns(row, include_just_bought, exclude_seen, now)] = -np.inf
        basis = seeds if len(seeds) else csr_row(self.history_, row)[0]
        return [
            Recommendation(
                self.item_ids_[c], float(scores[c]), self._reason(row, c, contributions, basis)
            )
            for c in top_k(scores, k)
        ]

    def user_components(self, row: int, seeds: np.ndarray) -> dict[str, np.ndarray]:
        """``components`` for one user row (-1: a guest), straight from the CSR arrays.

        The serving path: same numbers as ``components`` without sparse-matrix
        slicing overhead (a test checks they agree).
        """
        n = len(self.item_ids_)
        h_idx, h_val = csr_row(self.history_, row)
        if len(seeds):
            boost = max(1.0, float(h_val.sum()))
            h_idx = np.concatenate([h_idx, seeds])
            h_val = np.concatenate([h_val, np.full(len(seeds), boost, dtype=h_val.dtype)])
        repeat = np.zeros(n)
        r_idx, r_val = csr_row(self.repeat_, row)
        repeat[r_idx] = r_val
        cf = h_val @ self.cf_weights_[h_idx] if len(h_idx) else np.zeros(n)
        knn = np.zeros(n)
        if self.knn_weights_ is not None and len(h_idx):
            knn = self.knn_weights_[h_idx].T @ h_val
        tifu = np.zeros(n)
        if self.tifu_ is not None:
            own, neighbour = self.tifu_.user_parts(row)
            tifu = self.tifu_alpha * own + (1.0 - self.tifu_alpha) * neighbour
        content = np.zeros(n)
        if self.embeddings_ is not None and len(h_idx):
            profile = h_val @ self.embeddings_[h_idx]
            norm = float(np.linalg.norm(profile))
            if norm > 0:
                content = np.clip(self.embeddings_ @ (profile / norm), 0, None)
        raw: dict[str, Any] = {"repeat": repeat, "cf": cf, "knn": knn, "tifu": tifu,
                               "content": content, "popularity": self.popularity_.scores_}  # fmt: skip
        scaled = self.scaled(
            {name: np.asarray(v, dtype=np.float64)[None, :] for name, v in raw.items()}
        )
        return {name: part[0] for name, part in scaled.items()}

    def _columns(self, item_ids: tuple) -> np.ndarray:
        if not len(item_ids):
            return np.zeros(0, dtype=np.int64)
        lookup = self._item_pos_
        missing = [i for i in item_ids if i not in lookup]
        if missing:
            raise KeyError(
                f"unknown item(s) {missing!r}: not in the catalogue the model was trained on"
            )
        return np.array([lookup[i] for i in item_ids], dtype=np.int64)

    def _reason(
        self, row: int, col: int, contributions: dict[str, np.ndarray], basis: np.ndarray
    ) -> str:
        best = max(COMPONENTS, key=lambda name: contributions[name][col])
        if contributions[best][col] <= 0:
            best = "popularity"
        if best == "tifu" and row >= 0 and col not in csr_row(self.purchase_counts_, row)[0]:
            return "popular with customers who buy what you buy"
        if best in ("repeat", "tifu") and row >= 0:
            cols, counts = csr_row(self.purchase_counts_, row)
            times = int(counts[cols == col].sum())
            return f"you have bought it before ({times} time{'s' if times != 1 else ''})"
        if best == "cf" and len(basis):
            anchor = basis[np.argmax(self.cf_weights_[basis, col])]
            return f"bought together with {self.titles_[anchor]}"
        if best == "knn" and len(basis) and self.knn_weights_ is not None:
            anchor = basis[np.argmax(self.knn_weights_[basis][:, [col]].toarray().ravel())]
            return f"bought together with {self.titles_[anchor]}"
        if best == "content" and len(basis) and self.embeddings_ is not None:
            anchor = basis[np.argmax(self.embeddings_[basis] @ self.embeddings_[col])]
            return f"similar to {self.titles_[anchor]}"
        return self.popularity_.reason(col)
