"""Offline evaluation protocol for recommenders (see ``docs`` in ``recsys/README.md``).

Protocol: fit on the training part of a split; for every test user who has a training
history, rank the whole catalogue and compare the top ``k`` with the items the user bought
in the test period. Two views:

* ``all``: every item bought in the test period counts, repeat purchases included;
  nothing is filtered from the ranking.
* ``new``: only items the user had not bought before the cut-off count, and those
  bought-before items are removed from every model's ranking.

Metrics (binary relevance, ``R`` the relevant set, ``L`` the top-k list):
precision@k = |L ∩ R| / k; recall@k = |L ∩ R| / |R|;
NDCG@k = sum_{i in L∩R} 1/log2(rank_i + 1) / sum_{r=1..min(|R|,k)} 1/log2(r + 1);
AP@k = sum_{i in L∩R} precision@rank_i / min(|R|, k), MAP@k its mean over users;
coverage = distinct items recommended to anyone / catalogue size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recsys.base import Recommender, top_k_rows
from recsys.interactions import Interactions, index_of

MODES = ("all", "new")


def precision_at_k(ranked: list, relevant: set, k: int) -> float:
    """Share of the top ``k`` that is relevant."""
    return sum(1 for item in ranked[:k] if item in relevant) / k


def recall_at_k(ranked: list, relevant: set, k: int) -> float:
    """Share of the relevant items found in the top ``k``."""
    if not relevant:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant)


def ndcg_at_k(ranked: list, relevant: set, k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance."""
    dcg = sum(1.0 / np.log2(r + 2) for r, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def average_precision_at_k(ranked: list, relevant: set, k: int) -> float:
    """AP@k: mean precision at each hit, over min(|relevant|, k)."""
    hits, total = 0, 0.0
    for r, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            total += hits / (r + 1)
    denom = min(len(relevant), k)
    return total / denom if denom else 0.0


@dataclass
class RankingResult:
    """Metrics of one model in one mode, plus the NDCG@k curve for plots."""

    model: str
    mode: str
    users: int
    precision: float
    recall: float
    ndcg: float
    map: float
    coverage: float
    ndcg_curve: dict[int, float] = field(default_factory=dict)

    def row(self) -> dict[str, float | str | int]:
        """Flat row for tables."""
        return {
            "model": self.model,
            "mode": self.mode,
            "users": self.users,
            "precision@10": self.precision,
            "recall@10": self.recall,
            "ndcg@10": self.ndcg,
            "map@10": self.map,
            "coverage": self.coverage,
        }


def relevant_sets(
    model: Recommender, test: Interactions, mode: str
) -> tuple[list[object], list[np.ndarray]]:
    """Test users with a training history and the catalogue columns they bought."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    cols = index_of(model.item_ids_, test.items)
    rows = model.user_rows(test.users)
    keep = (cols >= 0) & (rows >= 0)
    users, relevant = [], []
    order = np.lexsort((cols[keep], rows[keep]))
    r_sorted, c_sorted = rows[keep][order], cols[keep][order]
    bounds = np.flatnonzero(np.diff(r_sorted)) + 1
    for r_group, c_group in zip(
        np.split(r_sorted, bounds), np.split(c_sorted, bounds), strict=False
    ):
        if len(r_group) == 0:
            continue
        items = np.unique(c_group)
        if mode == "new":
            items = np.setdiff1d(items, model.user_items_[r_group[0]].indices)
        if len(items):
            users.append(model.user_ids_[r_group[0]])
            relevant.append(items)
    return users, relevant


def evaluate_ranking(
    model: Recommender,
    test: Interactions,
    *,
    mode: str = "all",
    k: int = 10,
    curve_max_k: int = 20,
    batch_size: int = 512,
    users: list[object] | None = None,
    relevant: list[np.ndarray] | None = None,
) -> RankingResult:
    """Score ``model`` on ``test`` under the documented protocol."""
    if users is None or relevant is None:
        users, relevant = relevant_sets(model, test, mode)
    depth = max(k, curve_max_k)
    sums = {"p": 0.0, "r": 0.0, "ndcg": 0.0, "ap": 0.0}
    curve = np.zeros(depth)
    recommended: set[int] = set()
    discounts = 1.0 / np.log2(np.arange(2, depth + 2))
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        scores = model.score(batch)
        if mode == "new":
            seen = model.seen_mask(batch)
            scores[seen.nonzero()] = -np.inf
        top = top_k_rows(scores, depth)
        for row, rel in zip(top, relevant[start : start + batch_size], strict=False):
            hit = np.isin(row, rel)
            head = hit[:k]
            recommended.update(row[:k].tolist())
            n_hits = head.sum()
            sums["p"] += n_hits / k
            sums["r"] += n_hits / len(rel)
            ideal = np.cumsum(discounts[: len(rel)])
            ideal = np.concatenate([ideal, np.full(depth - len(ideal), ideal[-1])])[:depth]
            dcg = np.cumsum(hit * discounts)
            curve += dcg / ideal
            sums["ndcg"] += dcg[k - 1] / ideal[k - 1]
            precision_at_hits = np.cumsum(head) / np.arange(1, k + 1)
            sums["ap"] += (precision_at_hits * head).sum() / min(len(rel), k)
    n = max(len(users), 1)
    return RankingResult(
        model=getattr(model, "label", model.name),
        mode=mode,
        users=len(users),
        precision=sums["p"] / n,
        recall=sums["r"] / n,
        ndcg=sums["ndcg"] / n,
        map=sums["ap"] / n,
        coverage=len(recommended) / max(len(model.item_ids_), 1),
        ndcg_curve={i + 1: float(curve[i] / n) for i in range(depth)},
    )


def relevance_matrix(users: list[object], relevant: list[np.ndarray], n_items: int) -> np.ndarray:
    """Boolean users x items matrix of the relevant sets (for fast grid evaluation)."""
    out = np.zeros((len(users), n_items), dtype=bool)
    for i, cols in enumerate(relevant):
        out[i, cols] = True
    return out


def ndcg_per_user(scores: np.ndarray, relevance: np.ndarray, k: int = 10) -> np.ndarray:
    """NDCG@k of each row of dense ``scores`` against a boolean relevance matrix."""
    if len(scores) == 0:
        return np.zeros(0)
    top = top_k_rows(scores, k)
    hits = np.take_along_axis(relevance, top, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts).sum(axis=1)
    n_rel = np.minimum(relevance.sum(axis=1), k)
    ideal = np.cumsum(discounts)[np.maximum(n_rel, 1) - 1]
    return np.where(n_rel > 0, dcg / ideal, 0.0)


def mean_ndcg(scores: np.ndarray, relevance: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k of dense ``scores`` against a boolean relevance matrix."""
    return float(np.mean(ndcg_per_user(scores, relevance, k))) if len(scores) else 0.0
