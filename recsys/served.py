"""The serving interface every recommender the shop can serve implements, declared once.

Serving (the action server's ``ProductAdvisor``, the API's ``ModelService``) and training
(``recsys.training``) only ever use :class:`ServedRecommender`: fit on interactions over a
catalogue, then ``recommend(user, k, exclude_seen, like_items, available, ...)`` with a
reason per item, as ``implicit``'s ``RecommenderBase`` declares its models' signature once.
So the model a shop serves is a setting (``RECOMMENDER``, ``recsys.registry``), not code:

* :class:`recsys.hybrid.Hybrid` implements it natively (six blended signals, tuned);
* :class:`ServedModel` gives any offline ``Recommender`` (EASE, implicit's item-KNN,
  TIFU-KNN, personal popularity, ALS, ...) the same serving behaviour around the model's
  own ranking: in-stock only, what the customer just bought left out, guests and
  customers the model never saw get trending items, "more like this" from co-purchase
  cosine neighbours, and a reason for each item.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.base import DAY, Recommendation, Recommender, top_k
from recsys.fusion import cosine_neighbours
from recsys.interactions import Catalogue, Interactions, index_of, to_seconds
from recsys.popularity import Popularity

BOUGHT_TOGETHER = "bought together with"


class ServedRecommender(ABC):
    """What serving needs of a recommender; ``fit`` first, then ``recommend``.

    Fitted attributes every implementation sets: ``item_ids_`` and ``titles_`` (the
    catalogue's ids and titles, in column order).
    """

    name: str = "served"
    item_ids_: np.ndarray
    titles_: np.ndarray
    # For ``bought_columns``: set by ``fit`` (``last_bought_days``) and ``__init__``.
    last_bought_day_: sp.csr_matrix
    fitted_at_: np.datetime64
    just_bought_days: int

    @abstractmethod
    def fit(self, interactions: Interactions, catalogue: Catalogue) -> Self:
        """Learn from ``interactions``; recommendable items are ``catalogue``'s."""

    @abstractmethod
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
        """Top ``k`` in-stock items for a customer (``None``: a guest), each with a reason.

        Unless ``include_just_bought``, items bought in the last ``just_bought_days`` are
        left out; ``exclude_seen`` leaves out everything the customer ever bought;
        ``like_items`` asks for items like those (and never returns them); ``available``
        (a boolean mask over the catalogue) overrides the stock seen at fit time;
        ``exclude_items`` are never returned.
        """

    def bought_columns(
        self, row: int, include_just_bought: bool, exclude_seen: bool, now: np.datetime64 | None
    ) -> np.ndarray:
        """Columns to leave out for the customer at ``row``: just bought, or ever (``exclude_seen``).

        Needs the fitted ``last_bought_day_`` (``last_bought_days``), ``just_bought_days``
        and ``fitted_at_``.
        """
        cols, days = csr_row(self.last_bought_day_, row)
        if exclude_seen:
            return cols
        if include_just_bought:
            return np.zeros(0, dtype=np.int64)
        today = (to_seconds(now or self.fitted_at_) - np.datetime64("1970-01-01", "s")) / DAY
        return cols[days >= today - self.just_bought_days]


class ServedModel(ServedRecommender):
    """Any offline :class:`~recsys.base.Recommender`, served like the hybrid.

    The wrapped model ranks the customers it saw; everything a shop's serving needs beyond
    a ranking lives here, once, so that swapping EASE for item-KNN changes the ranking and
    nothing else a customer sees.
    """

    def __init__(
        self,
        model: Recommender,
        just_bought_days: int = 14,
        trend_half_life_days: float = 14.0,
        neighbours: int = 50,
    ) -> None:
        self.model = model
        self.just_bought_days = just_bought_days
        self.trend_half_life_days = trend_half_life_days
        self.neighbours = neighbours

    @property
    def name(self) -> str:  # type: ignore[override]
        """The wrapped model's name (what the setting chose)."""
        return self.model.name

    def fit(self, interactions: Interactions, catalogue: Catalogue) -> Self:
        """Fit the wrapped model, trending items and co-purchase neighbours."""
        self.model.fit(interactions, catalogue)
        self.item_ids_ = catalogue.item_ids
        self.titles_ = catalogue.titles
        self.in_stock_ = catalogue.in_stock()
        self.popularity_ = Popularity(self.trend_half_life_days).fit(interactions, catalogue)
        bought = sp.csr_matrix(self.model.user_items_ > 0, dtype=np.float64)
        gram = np.asarray((bought.T @ bought).todense())
        self.neighbours_ = cosine_neighbours(gram, self.neighbours)
        self.purchase_counts_ = self.model.user_items_
        self.last_bought_day_ = last_bought_days(
            interactions.purchases(), self.model.user_ids_, self.item_ids_
        )
        self.fitted_at_ = self.model.fitted_at_
        return self

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
        """See :meth:`ServedRecommender.recommend`."""
        seeds = self._columns(like_items)
        row = int(self.model.user_rows([user_id])[0])
        if len(seeds):
            scores = np.asarray(self.neighbours_[seeds].sum(axis=0)).ravel()
            scores = np.where(scores > 0, 1.0 + scores, self.popularity_.scores_)
        elif row >= 0:
            scores = self.model.score([user_id])[0].astype(np.float64)
        else:
            scores = self.popularity_.scores_.astype(np.float64).copy()
        mask = self.in_stock_ if available is None else np.asarray(available, bool)
        scores = np.where(mask, scores, -np.inf)
        scores[seeds] = -np.inf
        scores[self._columns(exclude_items)] = -np.inf
        scores[self.bought_columns(row, include_just_bought, exclude_seen, now)] = -np.inf
        basis = seeds if len(seeds) else csr_row(self.purchase_counts_, row)[0]
        return [
            Recommendation(self.item_ids_[c], float(scores[c]), self._reason(row, c, basis))
            for c in top_k(scores, k)
        ]

    def _columns(self, item_ids: tuple) -> np.ndarray:
        positions = index_of(self.item_ids_, np.asarray(list(item_ids), dtype=object))
        missing = [i for i, p in zip(item_ids, positions, strict=True) if p < 0]
        if missing:
            raise KeyError(
                f"unknown item(s) {missing!r}: not in the catalogue the model was trained on"
            )
        return positions.astype(np.int64)

    def _reason(self, row: int, col: int, basis: np.ndarray) -> str:
        cols, counts = csr_row(self.purchase_counts_, row)
        if col in cols:
            times = int(counts[cols == col].sum())
            return f"you have bought it before ({times} time{'s' if times != 1 else ''})"
        if len(basis):
            links = self.neighbours_[basis][:, [col]].toarray().ravel()
            if links.max() > 0:
                return f"{BOUGHT_TOGETHER} {self.titles_[basis[int(np.argmax(links))]]}"
        if row >= 0:
            return "picked for you from what you bought"
        return self.popularity_.reason(col)


def csr_row(matrix: sp.csr_matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of one CSR row (empty for row -1)."""
    if row < 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=matrix.dtype)
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[start:end], matrix.data[start:end]


def last_bought_days(
    purchases: Interactions, user_ids: np.ndarray, item_ids: np.ndarray
) -> sp.csr_matrix:
    """Users x items: the day number (since 1970) of each customer's last purchase of it."""
    days = (purchases.timestamps - np.datetime64("1970-01-01", "s")) / DAY
    rows = index_of(user_ids, purchases.users)
    cols = index_of(item_ids, purchases.items)
    keep = (rows >= 0) & (cols >= 0)
    last = (
        pd.DataFrame({"r": rows[keep], "c": cols[keep], "v": days[keep]})
        .groupby(["r", "c"], sort=False)["v"]
        .max()
    )
    r, c = last.index.get_level_values(0), last.index.get_level_values(1)
    return sp.csr_matrix((last.to_numpy(), (r, c)), shape=(len(user_ids), len(item_ids)))


def ranked_by(served: ServedRecommender) -> Recommender:
    """The offline model whose ``score`` ranks for ``served``: what evaluation measures."""
    if isinstance(served, ServedModel):
        return served.model
    if isinstance(served, Recommender):
        return served
    raise TypeError(f"{type(served).__name__} has no offline ranking to evaluate")
