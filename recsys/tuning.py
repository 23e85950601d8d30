"""Choose the hybrid's hyper-parameters on a validation split carved out of the training data.

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
So each parameter set is scored on ``VALIDATION_WINDOWS`` splits (consecutive periods
before the cut-off, each with the training rows cut at its own start; or hold-outs of
different seeds) and the objective is the mean over them.

The search is coordinate ascent over the grids (one parameter at a time, others held,
until a round changes nothing), started from each of ``STARTS``: the space is wide enough
that the hybrid's family holds each baseline (EASE alone, item-KNN alone, popularity,
buy-again), a full grid over it would be thousands of fits, and one start alone got stuck
in a blend that EASE alone beat on the same validation (a corner is several coordinates
away from a blend). Parameters that change the fitted model
(``STRUCTURE_KEYS``) refit; the blending ones reuse the fitted components.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recsys.evaluation import mean_ndcg, relevance_matrix, relevant_sets
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

# Each parameter's values, the starting one first (the shop defaults that won on retail).
STRUCTURE_GRID: dict[str, tuple] = {
    "l2": (100.0, 300.0, 1000.0),
    "train_half_life_days": (60.0, None),
    "trend_half_life_days": (7.0, 30.0, None),
    # None: plain purchase counts, as "buy again" (personal popularity) ranks them.
    "repeat_half_life_days": (365.0, 90.0, None),
}
WEIGHT_GRID: dict[str, tuple] = {
    "fusion": ("max", "rank"),
    # Negative: bought-before items sink below everything else, which is what data where
    # nobody buys twice (ratings) says; the "all" view then stops rewarding blends that
    # merely rank the history low, and the search weighs what predicts new items.
    "w_repeat": (4.0, 0.0, 1.0, 2.0, 8.0, -8.0),
    "repeat_floor": (0.5, 0.0, 0.9),
    "w_cf": (1.0, 0.0, 0.5),
    "w_knn": (0.0, 0.5, 1.0),
    "w_content": (0.1, 0.0, 0.3),
    "w_popularity": (0.5, 0.0, 0.25, 1.0),
    # TIFU-KNN (recsys/tifu.py): its weight, then its mix and decays; the paper's typical
    # values first. Its vectors are refitted alone when these change, not the hybrid.
    "w_tifu": (0.0, 1.0, 2.0, 4.0),
    "tifu_alpha": (0.7, 0.9, 0.5),
    "tifu_within_decay": (0.9, 0.7, 1.0),
    "tifu_group_decay": (0.7, 0.9, 1.0),
    "tifu_group_size": (7, 3),
    "tifu_neighbours": (300, 100),
}
STRUCTURE_KEYS = ("l2", "train_half_life_days", "trend_half_life_days",
                  "repeat_half_life_days", "knn_neighbours", "event_weight")  # fmt: skip
# What changes TIFU-KNN's fitted vectors (the mix ``tifu_alpha`` is applied on top).
TIFU_KEYS = ("tifu_group_size", "tifu_within_decay", "tifu_group_decay", "tifu_neighbours")
MAX_ROUNDS = 4
# A later start's end point replaces an earlier one's only if it is better by more than
# this share of the objective: on Online Retail another start ended 0.06% ahead on
# validation and 2.5% behind on the test month (all purchases); differences that small
# are noise, and the earlier starts are the ones with a record.
START_MARGIN = 0.01
# Where the coordinate ascent starts (over the grids' first values): the retail blend,
# then EASE alone, item-KNN alone and TIFU-KNN alone (without decay), so a data set
# whose best model is one of those baselines starts at it.
_ALONE = {"w_repeat": 0.0, "w_content": 0.0, "w_popularity": 0.0, "train_half_life_days": None}
# "Buy again" (``PersonalPopularity`` with a 365-day half-life scored one customer at a
# time): max scaling makes 2 x (0.5 + 0.5 x frequency / the customer's top frequency)
# + trend = 1 + frequency / top + trend, its score; every bought-before item first.
BUY_AGAIN: dict[str, Any] = {
    **_ALONE, "w_cf": 0.0, "w_knn": 0.0, "w_tifu": 0.0, "fusion": "max", "w_repeat": 2.0,
    "repeat_floor": 0.5, "repeat_half_life_days": 365.0, "w_popularity": 1.0,
    "trend_half_life_days": 7.0,
}  # fmt: skip
STARTS: tuple[dict[str, Any], ...] = (
    {},
    {**_ALONE, "w_cf": 1.0, "w_knn": 0.0},
    {**_ALONE, "w_cf": 0.0, "w_knn": 1.0},
    {**_ALONE, "w_cf": 0.0, "w_knn": 0.0, "w_tifu": 1.0},
    BUY_AGAIN,
)


@dataclass
class TuningResult:
    """The chosen parameters, their validation score (means over the validation splits)
    and every configuration tried."""

    params: dict[str, Any]
    ndcg_all: float
    ndcg_new: float
    tried: list[dict[str, Any]] = field(default_factory=list)
    windows: int = 1


# Not the test split's seed (0), so every validation hold-out is a different draw.
VALIDATION_SEEDS = (1, 2, 3)
VALIDATION_SEED = VALIDATION_SEEDS[0]
# How many validation splits score each parameter set (see the module docstring).
VALIDATION_WINDOWS = 2
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


class _Validation:
    """Scores parameter sets on one validation split, refitting only when structure changes."""

    def __init__(self, split: Split, catalogue: Catalogue, k: int) -> None:
        self.split, self.catalogue, self.k = split, catalogue, k
        self._key: tuple | None = None
        self._memo: dict[tuple, tuple[float, float]] = {}
        self._scaled: dict[tuple, dict[str, np.ndarray]] = {}

    def _prepare(self, structure: dict[str, Any]) -> None:
        key = tuple(sorted(structure.items()))
        if key == self._key:
            return
        # Components are computed with no floor; ``score`` applies each floor itself.
        model = Hybrid(**{**structure, "repeat_floor": 0.0}).fit(self.split.train, self.catalogue)
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
        self.raw = {
            n: np.asarray(p, dtype=np.float32) for n, p in model.raw_components(users).items()
        }
        self.model, self._key, self._scaled = model, key, {}
        self._new_cache: dict[tuple, float] = {}
        self.users = users
        self._tifu_parts: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._tifu_scaled: dict[tuple, np.ndarray] = {}

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

    def _score(self, params: dict[str, Any]) -> tuple[float, float]:
        self._prepare({k: v for k, v in params.items() if k in STRUCTURE_KEYS})
        fusion = params.get("fusion", "max")
        if fusion not in self._scaled:
            self._scaled[fusion] = self.model.scaled(self.raw, fusion, repeat_floor=0.0)
        parts = dict(self._scaled[fusion])
        weights = {name: float(params.get(f"w_{name}", getattr(self.model, f"w_{name}")))
                   for name in COMPONENTS}  # fmt: skip
        if weights["tifu"]:
            parts["tifu"] = self._tifu(params, fusion)
        floor = float(params.get("repeat_floor", 0.0))
        others = sum(weights[n] * parts[n] for n in COMPONENTS if n != "repeat")
        repeat = floor + (1.0 - floor) * parts["repeat"]
        repeat = np.where(parts["repeat"] > 0, repeat, 0.0)
        ndcg_all = mean_ndcg(weights["repeat"] * repeat + others, self.rel_all, self.k)
        # Bought-before items are masked in the "new" view, so the repeat weights
        # cannot change it: score each blend of the other components once.
        tifu_key = (
            tuple(params.get(k) for k in (*TIFU_KEYS, "tifu_alpha")) if weights["tifu"] else ()
        )
        key = (fusion, *(weights[n] for n in COMPONENTS if n != "repeat"), *tifu_key)
        if key not in self._new_cache:
            masked = np.where(self.seen, -np.inf, np.asarray(others)[self.new_rows])
            self._new_cache[key] = mean_ndcg(masked, self.rel_new, self.k)
        return ndcg_all, self._new_cache[key]


def coordinate_search(
    space: Mapping[str, tuple],
    objective: Callable[[dict[str, Any]], float],
    *,
    starts: Iterable[Mapping[str, Any]] = ({},),
    max_rounds: int = MAX_ROUNDS,
    start_margin: float = START_MARGIN,
) -> tuple[dict[str, Any], float]:
    """Coordinate ascent from each start (the first value of every parameter, overridden
    by the start's own where ``space`` offers that value): try every value of one
    parameter with the others held, keep a strict improvement, repeat until a round
    changes nothing. A later start's end point wins only if it beats the best so far by
    more than ``start_margin`` of it.
    ``objective`` is called at most once per parameter set."""
    seen: dict[tuple, float] = {}

    def value(params: dict[str, Any]) -> float:
        key = tuple(params.items())
        if key not in seen:
            seen[key] = objective(params)
        return seen[key]

    first = {name: values[0] for name, values in space.items()}
    winner: tuple[dict[str, Any], float] | None = None
    for start in starts:
        current = {**first, **{k: v for k, v in start.items() if v in space.get(k, ())}}
        best = value(current)
        for _ in range(max_rounds):
            improved = False
            for name, values in space.items():
                for candidate in values:
                    trial = {**current, name: candidate}
                    score = value(trial)
                    if score > best + 1e-12:
                        current, best, improved = trial, score, True
            if not improved:
                break
        if winner is None or best > winner[1] * (1.0 + start_margin) + 1e-12:
            winner = (current, best)
    assert winner is not None, "no start to search from"
    return winner


def tune_hybrid(
    train: Interactions,
    catalogue: Catalogue,
    *,
    split_kind: str = "temporal",
    valid_days: int = 30,
    k: int = 10,
    structure_grid: dict[str, Iterable] | None = None,
    weight_grid: dict[str, Iterable] | None = None,
    fixed: dict[str, Any] | None = None,
    starts: Iterable[Mapping[str, Any]] = STARTS,
    windows: int = VALIDATION_WINDOWS,
) -> TuningResult:
    """Search the hybrid's parameters on validation splits of ``train`` of kind ``split_kind``.

    ``temporal``: the last ``valid_days`` and the periods before (``validation_splits``);
    ``random``: per-user hold-outs. The objective is the mean over the ``windows`` splits.
    The space is ``structure_grid`` and ``weight_grid`` (defaults ``STRUCTURE_GRID`` and
    ``WEIGHT_GRID``), searched from each of ``starts`` (see ``coordinate_search``);
    ``fixed`` are passed to every model as they are.
    """
    splits = validation_splits(train, split_kind, valid_days=valid_days, windows=windows)
    space = {name: tuple(values) for name, values in
             {**(structure_grid or STRUCTURE_GRID), **(weight_grid or WEIGHT_GRID)}.items()}  # fmt: skip
    if catalogue.embeddings is None and "w_content" in space:
        space["w_content"] = (0.0,)  # nothing to weigh: do not spend tries on it
    validations = [_Validation(split, catalogue, k) for split in splits]
    tried: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> float:
        full = {**(fixed or {}), **params}
        scores = [validation.score(full) for validation in validations]
        ndcg_all, ndcg_new = (float(np.mean(view)) for view in zip(*scores, strict=True))
        value = window_objective(scores)
        tried.append({**full, "ndcg_all": ndcg_all, "ndcg_new": ndcg_new, "objective": value})
        return value

    params, _ = coordinate_search(space, objective, starts=starts)
    best = next(t for t in tried if all(t[key] == value for key, value in params.items()))
    return TuningResult({**(fixed or {}), **params}, best["ndcg_all"], best["ndcg_new"], tried,
                        windows=len(splits))  # fmt: skip


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


def _objective(ndcg_all: float, ndcg_new: float) -> float:
    return float(np.sqrt(max(ndcg_all, 0.0) * max(ndcg_new, 0.0)))


def window_objective(scores: Iterable[tuple[float, float]]) -> float:
    """Mean over validation splits of each split's geometric mean of NDCG (all, new)."""
    return float(np.mean([_objective(ndcg_all, ndcg_new) for ndcg_all, ndcg_new in scores]))
