"""Recency-aware popularity: the fallback for guests and cold starts, and a baseline."""

from __future__ import annotations

import numpy as np

from recsys.base import Recommender, decay_weights
from recsys.interactions import Catalogue, Interactions


class Popularity(Recommender):
    """Items ranked by time-decayed purchase weight (half-life in days; None = all-time counts).

    Counts distinct buyers rather than units, so one wholesale order does not make an
    item "popular".
    """

    name = "popularity"

    def __init__(self, half_life_days: float | None = 30.0, window_days: int = 30) -> None:
        self.half_life_days = half_life_days
        self.window_days = window_days

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        purchases = interactions.purchases()
        decay = decay_weights(purchases.timestamps, self.fitted_at_, self.half_life_days)
        cols = catalogue.positions(purchases.items)
        keep = cols >= 0
        scores = np.bincount(cols[keep], weights=decay[keep], minlength=len(catalogue))
        self.scores_ = scores / scores.max() if scores.max() > 0 else scores
        # "popular in Z this month": distinct buyers per item in the last window.
        recent = purchases.timestamps >= self.fitted_at_ - np.timedelta64(self.window_days, "D")
        self.recent_buyers_ = np.bincount(cols[keep & recent], minlength=len(catalogue))
        self.categories_ = catalogue.categories

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.scores_, (len(rows), 1))

    def _score_unknown(self, n: int) -> np.ndarray:
        return np.tile(self.scores_, (n, 1))

    def reason(self, col: int) -> str:
        """Why a popular item is shown, naming its category when there is one."""
        category = str(self.categories_[col] or "").strip()
        where = f" in {category}" if category else ""
        if self.recent_buyers_[col] > 0:
            return f"popular{where} this month"
        return f"a best seller{where}"


class PersonalPopularity(Recommender):
    """The customer's own purchases by decayed frequency, then trending items.

    Not a required baseline but the strongest simple rule in retail next-basket
    studies ("buy again"); reported as a reference so the hybrid's margin over a repeat
    rule is visible.
    """

    name = "personal_popularity"

    def __init__(
        self, half_life_days: float | None = 90.0, trend_half_life_days: float = 7.0
    ) -> None:
        self.half_life_days = half_life_days
        self.trend_half_life_days = trend_half_life_days

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        purchases = interactions.purchases()
        decay = decay_weights(purchases.timestamps, self.fitted_at_, self.half_life_days)
        self.own_ = purchases.to_csr(self.user_ids_, self.item_ids_, weights=decay)
        trend = Popularity(self.trend_half_life_days).fit(interactions, catalogue)
        self.trend_ = trend.scores_

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        own = np.asarray(self.own_[rows].todense())
        # Any purchase outranks any popular item: trend scores are at most 1, own >= 1.
        # Each customer's frequencies are scaled by her own largest, so her ranking does not
        # depend on who else is scored with her (scaled by the batch's largest, a heavy
        # buyer in the batch let the trend decide most customers' order of their own items).
        largest = np.maximum(own.max(axis=1, keepdims=True), 1e-12)
        return np.where(own > 0, 1.0 + own / largest, 0.0) + self.trend_

    def _score_unknown(self, n: int) -> np.ndarray:
        return np.tile(self.trend_, (n, 1))
