"""Customer segments from RFM (recency, frequency, monetary value) and a lifecycle stage.

Quantile rules, the classic RFM grid: each customer gets recency / frequency / monetary
scores 1..5 against the population's distribution, and the (R, F, M) cell has a name
(champions, loyal, at risk, ...). We tried KMeans on log RFM first: its clusters mixed
a 357-day lapsed customer into an "at risk" cluster whose centre was 160 days, so the
names misled; per-customer scores cannot. The result is deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENT_NAMES = (
    "champions", "loyal", "potential loyalists", "new", "promising",
    "needs attention", "at risk", "cannot lose", "hibernating", "lost",
)  # fmt: skip
RECENCY_CAPS = (90, 180, 365)  # days since last order above which R is at most 3, 2, 1
LIFECYCLE_STAGES = ("prospect", "new", "active", "lapsing", "churned")


def segment_name(r: int, f: int, m: int) -> str:
    """Readable segment for recency / frequency / monetary quintile scores (5 = best)."""
    if r >= 4 and f >= 4:
        return "champions"
    if r >= 4 and f == 1:
        return "new"
    if r >= 4 and f <= 3:
        return "potential loyalists" if f == 3 else "promising"
    if r == 3 and f >= 3:
        return "loyal"
    if r == 3:
        return "needs attention"
    if f >= 4:
        return "cannot lose" if m >= 4 else "at risk"
    if f == 3:
        return "at risk"
    return "hibernating" if r == 2 else "lost"


def lifecycle_stage(
    recency_days: float, frequency: float, tenure_days: float, *, new_days: int = 60,
    active_days: int = 90, lapsing_days: int = 180,
) -> str:  # fmt: skip
    """Prospect (never ordered), new, active, lapsing or churned."""
    if frequency <= 0:
        return "prospect"
    if tenure_days <= new_days and frequency <= 1:
        return "new"
    if recency_days <= active_days:
        return "active"
    if recency_days <= lapsing_days:
        return "lapsing"
    return "churned"


def _scores(values: np.ndarray, population: np.ndarray) -> np.ndarray:
    """1..5 by mid-rank in the (sorted) population, so ties share one score.

    With 60% one-time buyers, a single order is the 30th percentile (score 2), not
    wherever a quantile cut happened to fall inside the tie.
    """
    below = np.searchsorted(population, values, side="left")
    upto = np.searchsorted(population, values, side="right")
    midrank = (below + upto) / 2 / max(len(population), 1)
    return np.clip(1 + np.floor(5 * midrank), 1, 5).astype(int)


class RFMSegmenter:
    """Named RFM segments: each customer's R, F, M quintile scores mapped through the grid.

    ``fit`` learns the population (customers with at least one order); ``predict``
    scores customers against it. Customers without orders are "prospects".
    """

    def fit(self, features: pd.DataFrame) -> RFMSegmenter:
        """Remember the buyers' recency, frequency and monetary distributions."""
        buyers = features[features["frequency"] > 0]
        if buyers.empty:
            raise ValueError("need at least one customer with an order to build segments")
        self.recency_ = np.sort(-buyers["recency_days"].to_numpy(float))  # higher = more recent
        self.frequency_ = np.sort(buyers["frequency"].to_numpy(float))
        self.monetary_ = np.sort(buyers["monetary"].to_numpy(float))
        return self

    def scores(self, features: pd.DataFrame) -> pd.DataFrame:
        """R, F and M scores (1..5, 5 best) per customer."""
        recency = features["recency_days"].to_numpy(float)
        r = _scores(-recency, self.recency_)
        # Quintiles are relative: in a shop where most customers lapsed, 100 days would
        # score "recent". Absolute caps keep the names honest.
        caps = np.select([recency > d for d in RECENCY_CAPS[::-1]], [1, 2, 3], 5)
        return pd.DataFrame(
            {
                "r": np.minimum(r, caps),
                "f": _scores(features["frequency"].to_numpy(float), self.frequency_),
                "m": _scores(features["monetary"].to_numpy(float), self.monetary_),
            },
            index=features.index,
        )

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Segment name per customer (index preserved)."""
        scores = self.scores(features)
        names = [segment_name(r, f, m) for r, f, m in scores.itertuples(index=False)]
        out = pd.Series(names, index=features.index, name="segment", dtype=object)
        out[features["frequency"] <= 0] = "prospect"
        return out

    def lifecycle(self, features: pd.DataFrame) -> pd.Series:
        """Lifecycle stage per customer."""
        return pd.Series(
            [
                lifecycle_stage(r, f, t)
                for r, f, t in zip(
                    features["recency_days"],
                    features["frequency"],
                    features["tenure_days"],
                    strict=True,
                )
            ],
            index=features.index,
            name="lifecycle",
        )
