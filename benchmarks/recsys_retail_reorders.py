"""How a customer's bought-before items should be placed, on Online Retail's validation months.

    nice -n 10 .venv/bin/python -m benchmarks.recsys_retail_reorders     # ~30 s

Only the three 30-day windows before the test cut-off are read (training rows before each
window's start, purchases in it as the truth); the test month is never looked at. Every
ranking is scored on all purchases (NDCG@10):

* ``hybrid``: the hybrid with the parameters the Online Retail benchmark chose, without
  its content part (which needs the catalogue's embeddings);
* ``personal popularity``: each customer's own items by 365-day decayed frequency;
* ``slots``: as many of the ten places for her own items (in personal-popularity order) as
  her share of re-orders says, smoothed towards the shop's, the rest new items by the
  hybrid (TREx-style repeat/explore);
* ``N first``: the same with N places for her own items, for every customer;
* ``due-ness``: all her own items first, ordered by 365-day decayed count x (base + how
  close the days since she last bought it are to her usual gap between buying it).

BENCHMARKS.md ("Online Retail's remaining goal") quotes its output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmarks.recsys_online_retail import DEFAULT_PATH
from recsys.evaluation import ndcg_per_user, relevance_matrix, relevant_sets
from recsys.hybrid import Hybrid
from recsys.interactions import Catalogue, Interactions, read_online_retail
from recsys.popularity import PersonalPopularity

# The parameters benchmarks/recsys_online_retail.py chose on validation (BENCHMARKS.md).
CHOSEN: dict[str, Any] = {"l2": 100.0, "train_half_life_days": 60.0, "trend_half_life_days": 7.0,
          "repeat_half_life_days": 365.0, "w_repeat": 4.0, "repeat_floor": 0.5, "w_cf": 1.0,
          "w_knn": 0.0, "w_tifu": 0.0, "w_content": 0.0, "w_popularity": 0.5, "fusion": "max"}  # fmt: skip
WINDOW_DAYS = 30
K = 10


def reorder_counts(train: Interactions) -> pd.DataFrame:
    """Per customer: the items of her purchase days after her first (``count``) and how
    many of those she had bought on an earlier day (``again``)."""
    days = pd.DataFrame({"user": train.users, "item": train.items,
                         "day": train.timestamps.astype("datetime64[D]")}).drop_duplicates()  # fmt: skip
    first_of_item = days.groupby(["user", "item"])["day"].transform("min")
    later = days[days["day"] > days.groupby("user")["day"].transform("min")]
    again = (later["day"] > first_of_item[later.index]).astype(int)
    return again.groupby(later["user"]).agg(again="sum", count="count")


def reorder_share(counts: pd.DataFrame, users: list[object], prior: float) -> np.ndarray:
    """Each user's re-order share, pulled towards the shop's by ``prior`` pseudo-items."""
    shop = counts["again"].sum() / max(counts["count"].sum(), 1)
    mine = counts.reindex(users).fillna(0.0)
    return ((mine["again"] + prior * shop) / (mine["count"] + prior)).to_numpy()


def dueness(
    train: Interactions, start: np.datetime64, users: list[object], items: np.ndarray
) -> np.ndarray:
    """How "due" each customer's item is at ``start`` (users x items, 0 if bought on fewer
    than two days): exp(-((days since last - usual gap) / usual gap)^2 / 2), the usual gap
    being the mean time between her purchase days of it."""
    age = (start - train.timestamps).astype("timedelta64[s]").astype(float) / 86400.0
    frame = pd.DataFrame({"user": train.users, "item": train.items, "age": age.astype(float),
                          "day": train.timestamps.astype("datetime64[D]")})  # fmt: skip
    per = frame.groupby(["user", "item"]).agg(days=("day", "nunique"), last=("age", "min"),
                                              first=("age", "max"))  # fmt: skip
    per = per[per["days"] > 1]
    gap = (per["first"] - per["last"]) / (per["days"] - 1)
    due = np.exp(-(((per["last"] - gap) / gap) ** 2) / 2)
    rows = pd.Series(np.arange(len(users)), index=pd.Index(users))
    cols = pd.Series(np.arange(len(items)), index=pd.Index(items))
    keep = due.index.get_level_values(0).isin(rows.index)
    due = due[keep]
    out = np.zeros((len(users), len(items)), dtype=np.float32)
    out[rows[due.index.get_level_values(0)].to_numpy(),
        cols[due.index.get_level_values(1)].to_numpy()] = due.to_numpy()  # fmt: skip
    return out


def slot_ranking(own: np.ndarray, new: np.ndarray, own_places: np.ndarray) -> np.ndarray:
    """Scores whose top ``K`` are the first ``own_places[u]`` of ``own`` (a row per user,
    bought-before items by preference, -inf elsewhere) then the best of ``new``."""
    out = np.zeros(own.shape, dtype=np.float32)
    rows = np.arange(len(own))
    own_top = np.argsort(-own, axis=1)[:, :K]
    new_top = np.argsort(-new, axis=1)[:, :K]
    for j in range(K):
        out[rows, new_top[:, j]] = K - j
        keep = j < own_places
        out[rows[keep], own_top[keep, j]] = 2 * K - j
    return out


def compare(
    train: Interactions, truth: Interactions, catalogue: Catalogue, start: np.datetime64
) -> dict[str, float]:
    """Mean NDCG@10 (all purchases) of each placement on one window."""
    hybrid = Hybrid(**CHOSEN).fit(train, catalogue)
    explore = Hybrid(**{**CHOSEN, "w_repeat": 0.0}).fit(train, catalogue)
    reference = PersonalPopularity(half_life_days=365.0).fit(train, catalogue)
    users, relevant = relevant_sets(hybrid, truth, "all")
    relevance = relevance_matrix(users, relevant, len(hybrid.item_ids_))
    seen = hybrid.seen_mask(users).toarray().astype(bool)
    own = np.where(seen, reference.score(users), -np.inf)
    new = np.where(seen, -np.inf, explore.score(users))
    n_own = seen.sum(axis=1)
    counts = reorder_counts(train)
    out = {
        "hybrid": ndcg_per_user(hybrid.score(users), relevance).mean(),
        "personal popularity": ndcg_per_user(reference.score(users), relevance).mean(),
    }
    for prior in (2.0, 10.0):
        share = reorder_share(counts, users, prior)
        for lift in (1.0, 1.3):
            places = np.minimum(np.rint(K * np.clip(share * lift, 0, 1)).astype(int), n_own)
            out[f"slots (prior {prior:g}, x{lift:g})"] = ndcg_per_user(
                slot_ranking(own, new, places), relevance
            ).mean()
    decayed = hybrid.repeat_matrix(train.purchases(), 365.0)[hybrid.user_rows(users)].toarray()
    due = dueness(train, start, users, hybrid.item_ids_)
    for base in (0.2, 0.5, 1.0):
        by_due = np.where(seen, decayed * (base + due), -np.inf)
        out[f"due-ness ({base:g} + due), all first"] = ndcg_per_user(
            slot_ranking(by_due, new, n_own), relevance
        ).mean()
    for fixed in (5, 7, 8, 9, 10):
        places = np.minimum(fixed, n_own)
        out[f"{fixed} first"] = ndcg_per_user(slot_ranking(own, new, places), relevance).mean()
    return {name: float(value) for name, value in out.items()}


def main() -> None:
    interactions, catalogue = read_online_retail(DEFAULT_PATH)
    cutoff = interactions.end + np.timedelta64(1, "s") - np.timedelta64(WINDOW_DAYS, "D")
    rows = []
    for back in (1, 2, 3):
        start = cutoff - np.timedelta64(back * WINDOW_DAYS, "D")
        stamps = interactions.timestamps
        train = interactions.subset(stamps < start)
        truth = interactions.subset(
            (stamps >= start) & (stamps < start + np.timedelta64(WINDOW_DAYS, "D"))
        )
        rows.append({"window from": str(start)[:10], **compare(train, truth, catalogue, start)})
    print(pd.DataFrame(rows).set_index("window from").T.round(4).to_string())


if __name__ == "__main__":
    main()
