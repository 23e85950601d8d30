"""Validation splits of the training rows and the scoring of the hybrid's parameters on them.

The validation split mirrors the test split: when the test is the last period, the last
``valid_days`` of the training rows play the test period; when the test is a random
per-user hold-out, a random per-user part of the training rows is held out the same way.
A validation unlike the test chose the wrong model (issue 16: a temporal validation on a
random split picked repeat purchases for a data set that has none). The test split itself
is never looked at. The objective is the geometric mean of NDCG@10 on all purchases and
on new-to-the-customer items, so neither view is sacrificed.

One validation split is one draw: on Online Retail the blend led "buy again" by 10% on
the month before the cut-off and trailed it on the test month; on a generated ratings
set a blend led EASE alone by 0.85% on validation and trailed it by 0.6% on the test.
``validation_splits`` gives several (consecutive periods before the cut-off, each with the
training rows cut at its own start; or hold-outs of different seeds) and the tuning's
objective is the mean over them. Two did not choose better than one (BENCHMARKS.md,
2026-12-07: Online Retail 0.3590 -> 0.3500 on the test month, two generated cells lost
instead of none), so ``VALIDATION_WINDOWS`` is 1 and more windows are an option.

``ValidationScores`` scores one split, refitting only what a parameter change touches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from recsys.evaluation import mean_ndcg, ndcg_per_user, relevance_matrix, relevant_sets
from recsys.fusion import scale
from recsys.hybrid import COMPONENTS, Hybrid
from recsys.interactions import (
    Catalogue,
    DataError,
    Interactions,
    Split,
    random_split,
    temporal_split,
)
from recsys.popularity import Popularity

STRUCTURE_KEYS = ("l2", "train_half_life_days", "trend_half_life_days",
                  "repeat_half_life_days", "knn_neighbours", "event_weight")  # fmt: skip
# What changes TIFU-KNN's fitted vectors (the mix ``tifu_alpha`` is applied on top).
TIFU_KEYS = ("tifu_group_size", "tifu_within_decay", "tifu_group_decay", "tifu_neighbours")
# Not the test split's seed (0), so every validation hold-out is a different draw.
VALIDATION_SEEDS = (1, 2, 3)
VALIDATION_SEED = VALIDATION_SEEDS[0]
# How many validation splits score each parameter set (see the module docstring: two
# were measured and not adopted).
VALIDATION_WINDOWS = 1
SPLIT_KINDS = ("temporal", "random")


def validation_split(train: Interactions, kind: str, *, valid_days: int = 30) -> Split:
    """A split of the training rows of the same ``kind`` as the test split it stands in for."""
    return validation_splits(train, kind, valid_days=valid_days, windows=1)[0]


def validation_splits(
    train: Interactions, kind: str, *, valid_days: int = 30, windows: int = VALIDATION_WINDOWS
) -> list[Split]:
    """Up to ``windows`` validation splits of ``train`` of the same ``kind`` as the test split.

    ``temporal``: the last ``valid_days`` of ``train``, then the ``valid_days`` before
    those (its training rows cut at its own start), and so on back; an earlier window
    without purchases by customers known before it is left out. ``random``: per-user
    hold-outs drawn with ``VALIDATION_SEEDS``. The first split is ``validation_split``'s.
    """
    if kind not in SPLIT_KINDS:
        raise DataError(f"unknown split {kind!r}: use one of {SPLIT_KINDS}")
    if not 1 <= windows <= len(VALIDATION_SEEDS):
        raise DataError(f"windows must be 1 to {len(VALIDATION_SEEDS)}, got {windows}")
    if kind == "random":
        return [random_split(train, seed=seed) for seed in VALIDATION_SEEDS[:windows]]
    splits = [temporal_split(train, test_days=valid_days)]
    for _ in range(windows - 1):
        earlier = splits[-1].cutoff - np.timedelta64(valid_days, "D")
        try:
            split = temporal_split(splits[-1].train, test_days=valid_days, cutoff=earlier)
        except DataError:  # nothing before it, or no purchases in it
            break
        if not np.isin(split.test.users, split.train.users).any():
            break
        splits.append(split)
    return splits


# What the raw scores of each component depend on: ``repeat`` and ``popularity`` are
# recomputed alone when only their half-life changes; the rest need a refit.
_CORE_KEYS = ("l2", "train_half_life_days", "knn_neighbours", "event_weight")
_COMPONENT_KEYS = {"repeat": ("repeat_half_life_days",), "popularity": ("trend_half_life_days",)}
# Fitted models kept per validation split (each holds an items x items EASE matrix), so a
# coordinate that tries other values and returns to the current one does not refit.
MAX_FITS = 3


class ValidationScores:
    """Scores parameter sets on one validation split, refitting only what a change touches."""

    def __init__(self, split: Split, catalogue: Catalogue, k: int) -> None:
        self.split, self.catalogue, self.k = split, catalogue, k
        self._memo: dict[tuple, tuple[float, float]] = {}
        self._fits: dict[tuple, Hybrid] = {}
        self._raw: dict[tuple, np.ndarray] = {}
        self._scaled: dict[tuple, np.ndarray] = {}
        self._new_cache: dict[tuple, float] = {}
        self._tifu_parts: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._tifu_scaled: dict[tuple, np.ndarray] = {}
        self.users: list[object] = []

    def _prepare(self, structure: dict[str, Any]) -> dict[str, tuple]:
        """Fit what ``structure`` needs; each component's cache key."""
        spec = Hybrid(**structure)  # unfitted: its attributes fill in the defaults
        keys = {name: (name, *(getattr(spec, k) for k in _COMPONENT_KEYS.get(name, _CORE_KEYS)))
                for name in COMPONENTS if name != "tifu"}  # fmt: skip
        core = keys["cf"][1:]
        if core not in self._fits:
            # Components are computed with no floor; ``score`` applies each floor itself.
            model = Hybrid(**{**structure, "repeat_floor": 0.0})
            model.fit(self.split.train, self.catalogue)
            if not self._fits:
                self._relevance(model)
            raw = model.raw_components(self.users)
            for name in COMPONENTS:
                if name != "tifu":
                    self._raw[keys[name]] = np.asarray(raw[name], dtype=np.float32)
            self._fits[core] = model
            if len(self._fits) > MAX_FITS:
                self._forget(next(iter(self._fits)))
        self.model = self._fits[core]
        if keys["repeat"] not in self._raw:
            counts = self.model.repeat_matrix(self.split.train.purchases(), keys["repeat"][1])
            rows = self.model.user_rows(self.users)
            self._raw[keys["repeat"]] = counts[rows].toarray().astype(np.float32)
        if keys["popularity"] not in self._raw:
            trend = Popularity(keys["popularity"][1]).fit(self.split.train, self.catalogue)
            shape = (len(self.users), len(trend.scores_))
            self._raw[keys["popularity"]] = np.broadcast_to(trend.scores_.astype(np.float32), shape)
        return keys

    def _relevance(self, model: Hybrid) -> None:
        """The validation users and what they bought (the same for every structure)."""
        users, relevant = relevant_sets(model, self.split.test, "all")
        if not users:
            raise DataError("the validation period has no purchases by known customers")
        new_users, new_relevant = relevant_sets(model, self.split.test, "new")
        n_items = len(model.item_ids_)
        self.rel_all = relevance_matrix(users, relevant, n_items)
        self.rel_new = relevance_matrix(new_users, new_relevant, n_items)
        position = {u: i for i, u in enumerate(users)}
        self.new_rows = np.array([position[u] for u in new_users], dtype=np.int64)
        self.seen = model.seen_mask(new_users).toarray().astype(bool)
        self.users = users
        self._zeros = np.zeros((len(users), n_items), dtype=np.float32)

    def _forget(self, core: tuple) -> None:
        """Drop a fitted model and the component scores computed from it."""
        del self._fits[core]
        for cache in (self._raw, self._scaled):
            for key in [key for key in cache if key[1:] == core or key[1:-1] == core]:
                del cache[key]

    def _part(self, key: tuple, fusion: str) -> np.ndarray:
        """One component's raw scores (cache ``key``) on the scale of ``fusion``."""
        if (*key, fusion) not in self._scaled:
            raw = self._raw[key]
            if key[0] == "popularity":  # the same for every user: scaled once
                row = scale(raw[:1], fusion, self.model.rank_offset)
                self._scaled[(*key, fusion)] = np.broadcast_to(row, raw.shape)
            else:
                self._scaled[(*key, fusion)] = scale(raw, fusion, self.model.rank_offset)
        return self._scaled[(*key, fusion)]

    def _tifu(self, params: dict[str, Any], fusion: str) -> np.ndarray:
        """TIFU-KNN's scaled scores for ``params``, fitting only its vectors when they change."""
        key = tuple(params.get(k, getattr(self.model, k)) for k in TIFU_KEYS)
        if key not in self._tifu_parts:
            tifu = Hybrid(**dict(zip(TIFU_KEYS, key, strict=True))).tifu_model()
            tifu.fit(self.split.train, self.catalogue)
            self._tifu_parts[key] = tifu.parts(tifu.user_rows(self.users))
        alpha = float(params.get("tifu_alpha", self.model.tifu_alpha))
        scaled_key = (*key, alpha, fusion)
        if scaled_key not in self._tifu_scaled:
            own, neighbour = self._tifu_parts[key]
            raw = alpha * own + (1.0 - alpha) * neighbour
            self._tifu_scaled[scaled_key] = scale(raw, fusion, self.model.rank_offset)
        return self._tifu_scaled[scaled_key]

    def score(self, params: dict[str, Any]) -> tuple[float, float]:
        """NDCG@k (all, new) of the hybrid with ``params`` on the validation split.

        Parameters of a component weighed 0 cannot change the ranking: a set that
        differs from one already scored only in those is not scored (or refitted) again.
        """
        key = _effective(params)
        if key not in self._memo:
            self._memo[key] = self._score(params)
        return self._memo[key]

    def _blend(self, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, tuple]:
        """The "all" view's scores, the other components' blend that the "new" view ranks
        and that blend's key (the repeat weights cannot change it)."""
        keys = self._prepare({k: v for k, v in params.items() if k in STRUCTURE_KEYS})
        fusion = params.get("fusion", "max")
        parts = {name: self._part(key, fusion) for name, key in keys.items()}
        weights = {name: float(params.get(f"w_{name}", getattr(self.model, f"w_{name}")))
                   for name in COMPONENTS}  # fmt: skip
        parts["tifu"] = self._tifu(params, fusion) if weights["tifu"] else self._zeros
        floor = float(params.get("repeat_floor", 0.0))
        others = sum(weights[n] * parts[n] for n in COMPONENTS if n != "repeat")
        repeat = floor + (1.0 - floor) * parts["repeat"]
        repeat = np.where(parts["repeat"] > 0, repeat, 0.0)
        tifu_key = (
            tuple(params.get(k) for k in (*TIFU_KEYS, "tifu_alpha")) if weights["tifu"] else ()
        )
        structure = (keys["cf"], keys["popularity"])
        key = (fusion, *structure, *(weights[n] for n in COMPONENTS if n != "repeat"), *tifu_key)
        return weights["repeat"] * repeat + others, np.asarray(others), key

    def _masked(self, others: np.ndarray) -> np.ndarray:
        """The "new" view's scores: bought-before items removed."""
        return np.where(self.seen, -np.inf, others[self.new_rows])

    def _score(self, params: dict[str, Any]) -> tuple[float, float]:
        blended, others, key = self._blend(params)
        ndcg_all = mean_ndcg(blended, self.rel_all, self.k)
        # Bought-before items are masked in the "new" view, so the repeat weights
        # cannot change it: score each blend of the other components once.
        if key not in self._new_cache:
            self._new_cache[key] = mean_ndcg(self._masked(others), self.rel_new, self.k)
        return ndcg_all, self._new_cache[key]

    def per_user(self, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """NDCG@k of each validation user (all) and of each with new items (new)."""
        blended, others, _ = self._blend(params)
        return ndcg_per_user(blended, self.rel_all, self.k), ndcg_per_user(
            self._masked(others), self.rel_new, self.k
        )

    def bootstrap_objective(self, params: dict[str, Any], draws: np.ndarray) -> np.ndarray:
        """The objective of ``params`` on each bootstrap resample of the validation users;
        ``draws`` holds how often each user is drawn (resamples x users)."""
        ndcg_all, ndcg_new = self.per_user(params)
        new_draws = draws[:, self.new_rows]
        mean_all = draws @ ndcg_all / np.maximum(draws.sum(axis=1), 1)
        mean_new = new_draws @ ndcg_new / np.maximum(new_draws.sum(axis=1), 1)
        return np.asarray(geometric_objective(mean_all, mean_new))


# Parameters that only act through one component's weight.
_INERT_AT_ZERO = {
    "w_tifu": (*TIFU_KEYS, "tifu_alpha"),
    "w_repeat": ("repeat_floor", "repeat_half_life_days"),
    "w_popularity": ("trend_half_life_days",),
    "w_knn": ("knn_neighbours",),
}


def _effective(params: dict[str, Any]) -> tuple:
    """``params`` without those of components weighed 0 (see ``_INERT_AT_ZERO``)."""
    inert = {key for weight, keys in _INERT_AT_ZERO.items() if params.get(weight, 1.0) == 0
             for key in keys}  # fmt: skip
    return tuple(sorted((k, v) for k, v in params.items() if k not in inert))


def geometric_objective(ndcg_all: Any, ndcg_new: Any) -> Any:
    """The geometric mean of NDCG (all, new), of two numbers or elementwise of two arrays."""
    return np.sqrt(np.maximum(ndcg_all, 0.0) * np.maximum(ndcg_new, 0.0))


def window_objective(scores: Iterable[tuple[float, float]]) -> float:
    """Mean over validation splits of each split's geometric mean of NDCG (all, new)."""
    return float(
        np.mean([geometric_objective(ndcg_all, ndcg_new) for ndcg_all, ndcg_new in scores])
    )
