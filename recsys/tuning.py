"""Choose the hybrid's hyper-parameters on a validation split carved out of the training data.

The validation split mirrors the test split: when the test is the last period, the last
``valid_days`` of the training rows play the test period; when the test is a random
per-user hold-out, a random per-user part of the training rows is held out the same way.
A validation unlike the test chose the wrong model (issue 16: a temporal validation on a
random split picked repeat purchases for a data set that has none). The test split itself
is never looked at. The objective is the geometric mean of NDCG@10 on all purchases and
on new-to-the-customer items, so neither view is sacrificed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from recsys.evaluation import mean_ndcg, relevance_matrix, relevant_sets
from recsys.hybrid import Hybrid, repeat_signal
from recsys.interactions import (
    Catalogue,
    DataError,
    Interactions,
    Split,
    random_split,
    temporal_split,
)

STRUCTURE_GRID = {
    "l2": (100.0, 300.0, 1000.0),
    "trend_half_life_days": (7.0, 30.0),
    "repeat_half_life_days": (90.0, 365.0),
}
WEIGHT_GRID = {
    "w_repeat": (1.0, 2.0, 4.0, 8.0),
    "repeat_floor": (0.0, 0.5, 0.9),
    "w_content": (0.0, 0.1, 0.3),
    "w_popularity": (0.25, 0.5, 1.0),
}


@dataclass
class TuningResult:
    """The chosen parameters, their validation score and every configuration tried."""

    params: dict[str, float]
    ndcg_all: float
    ndcg_new: float
    tried: list[dict[str, float]] = field(default_factory=list)


def _grid(grid: Mapping[str, Iterable[float]]) -> list[dict[str, float]]:
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


# Not the test split's seed (0), so the validation hold-out is a different draw.
VALIDATION_SEED = 1
SPLIT_KINDS = ("temporal", "random")


def validation_split(train: Interactions, kind: str, *, valid_days: int = 30) -> Split:
    """A split of the training rows of the same ``kind`` as the test split it stands in for."""
    if kind == "temporal":
        return temporal_split(train, test_days=valid_days)
    if kind == "random":
        return random_split(train, seed=VALIDATION_SEED)
    raise DataError(f"unknown split {kind!r}: use one of {SPLIT_KINDS}")


def tune_hybrid(
    train: Interactions,
    catalogue: Catalogue,
    *,
    split_kind: str = "temporal",
    valid_days: int = 30,
    k: int = 10,
    structure_grid: dict[str, Iterable[float]] | None = None,
    weight_grid: dict[str, Iterable[float]] | None = None,
    fixed: dict[str, float] | None = None,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> TuningResult:
    """Grid-search the hybrid on a validation split of ``train`` of kind ``split_kind``.

    ``temporal``: the last ``valid_days``; ``random``: a random per-user hold-out.
    """
    split = validation_split(train, split_kind, valid_days=valid_days)
    weights = _grid(weight_grid or WEIGHT_GRID)
    if catalogue.embeddings is None:
        weights = [w for w in weights if w.get("w_content", 0.0) == 0.0] or weights
    best: TuningResult | None = None
    tried: list[dict[str, float]] = []
    for structure in progress(_grid(structure_grid or STRUCTURE_GRID)):
        # Components are computed with no floor; the tuner applies each floor itself.
        model = Hybrid(**{**(fixed or {}), **structure, "repeat_floor": 0.0}).fit(
            split.train, catalogue
        )
        users, relevant = relevant_sets(model, split.test, "all")
        if not users:
            raise DataError("the validation period has no purchases by known customers")
        new_users, new_relevant = relevant_sets(model, split.test, "new")
        n_items = len(model.item_ids_)
        rel_all = relevance_matrix(users, relevant, n_items)
        rel_new = relevance_matrix(new_users, new_relevant, n_items)
        position = {u: i for i, u in enumerate(users)}
        new_rows = np.array([position[u] for u in new_users], dtype=np.int64)
        seen = model.seen_mask(new_users).toarray().astype(bool)
        parts = {n: p.astype(np.float32) for n, p in model.components(users).items()}
        new_cache: dict[tuple[float, float], float] = {}
        for w in weights:
            repeat = repeat_signal(parts["repeat"], w.get("repeat_floor", 0.0))
            others = (model.w_cf * parts["cf"] + w["w_content"] * parts["content"]
                      + w["w_popularity"] * parts["popularity"])  # fmt: skip
            ndcg_all = mean_ndcg(w["w_repeat"] * repeat + others, rel_all, k)
            # Bought-before items are masked in the "new" view, so the repeat weights
            # cannot change it: score each (content, popularity) pair once.
            key = (w["w_content"], w["w_popularity"])
            if key not in new_cache:
                new_cache[key] = mean_ndcg(np.where(seen, -np.inf, others[new_rows]), rel_new, k)
            ndcg_new = new_cache[key]
            params = {**(fixed or {}), **structure, **w}
            tried.append({**params, "ndcg_all": ndcg_all, "ndcg_new": ndcg_new})
            if best is None or _objective(ndcg_all, ndcg_new) > _objective(
                best.ndcg_all, best.ndcg_new
            ):
                best = TuningResult(params, ndcg_all, ndcg_new)
    assert best is not None  # the grids are never empty
    best.tried = tried
    return best


def _objective(ndcg_all: float, ndcg_new: float) -> float:
    return float(np.sqrt(max(ndcg_all, 0.0) * max(ndcg_new, 0.0)))
