"""Comparisons run by ``python -m recsys evaluate`` and the benchmarks: every model and
every baseline fitted on the same split, in the same run.

Each baseline gets a small hyper-parameter grid chosen on the same validation split as
the hybrid (of the test split's kind: the last 30 days before the test cut-off, or a
random per-user hold-out of the training rows), so no model is compared with its
defaults while another is tuned.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from recsys.base import Recommender
from recsys.baselines import ALS, ItemKNN
from recsys.content import ContentRecommender
from recsys.ease import EASE
from recsys.evaluation import MODES, RankingResult, evaluate_ranking
from recsys.features import monthly_cutoffs, training_frame
from recsys.hybrid import Hybrid
from recsys.interactions import (
    Catalogue,
    DataError,
    Interactions,
    Split,
    random_split,
    temporal_split,
)
from recsys.popularity import PersonalPopularity, Popularity
from recsys.propensity import PropensityModel, rfm_logistic_baseline
from recsys.tifu import TIFUKNN
from recsys.tuning import tune_hybrid
from recsys.validation import VALIDATION_WINDOWS, validation_splits, window_objective

BASELINE_GRIDS: dict[str, tuple[type[Recommender], dict[str, tuple]]] = {
    "popularity": (Popularity, {"half_life_days": (7.0, 30.0, None)}),
    "item_knn": (ItemKNN, {"neighbours": (50, 200)}),
    "als": (ALS, {"factors": (64, 128), "regularization": (0.01, 0.1)}),
    # The published next-basket baseline (Hu et al. 2020); its mix and the decay across
    # groups of baskets matter most in the paper's own tuning.
    "tifu_knn": (TIFUKNN, {"alpha": (0.5, 0.7, 0.9), "group_decay": (0.7, 0.9)}),
}
# The baselines the hybrid is measured against: the tuned ones, and EASE (fitted with a
# fixed lambda in every run, see compare_recommenders).
BASELINES = (*BASELINE_GRIDS, "ease")
# Reported beside the baselines but not one of them (see PersonalPopularity).
REFERENCE_GRIDS: dict[str, tuple[type[Recommender], dict[str, tuple]]] = {
    "personal_popularity": (PersonalPopularity, {"half_life_days": (30.0, 90.0, 365.0)}),
}


@dataclass
class RecommenderComparison:
    """Results of every model in both views, the chosen parameters, and timings."""

    split: str
    cutoff: str
    results: list[RankingResult]
    params: dict[str, dict] = field(default_factory=dict)
    fit_seconds: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per model and view."""
        return pd.DataFrame([r.row() for r in self.results])

    def ndcg(self, model: str, mode: str) -> float:
        """NDCG@10 of one model in one view."""
        return next(r.ndcg for r in self.results if r.model == model and r.mode == mode)

    def lift(self, mode: str, model: str, over: str) -> float | None:
        """``model``'s relative NDCG@10 gain over ``over`` in ``mode``; None when ``over``
        scored 0 (a percentage against zero means nothing)."""
        base = self.ndcg(over, mode)
        return self.ndcg(model, mode) / base - 1.0 if base > 0 else None

    def lift_over_best_baseline(self, mode: str, model: str = "hybrid") -> tuple[str, float | None]:
        """The strongest baseline in ``mode`` and ``model``'s relative NDCG@10 gain over it."""
        present = {r.model for r in self.results}
        best = max((b for b in BASELINES if b in present), key=lambda b: self.ndcg(b, mode))
        return best, self.lift(mode, model, best)

    def summary_lines(self, model: str = "hybrid") -> list[str]:
        """``model`` against the best baseline and the personal-popularity reference, per view."""
        lines = []
        for mode in MODES:
            best, lift = self.lift_over_best_baseline(mode, model)
            lines.append(f"{model} vs best baseline ({best}), {mode}: {_percent(lift)} NDCG@10")
            if any(r.model == "personal_popularity" for r in self.results):
                ref = self.lift(mode, model, "personal_popularity")
                lines.append(
                    f"{model} vs personal_popularity (reference, not a baseline), {mode}: "
                    f"{_percent(ref)}"
                )
        return lines


def _percent(lift: float | None) -> str:
    return f"{lift * 100:+.1f}%" if lift is not None else "n/a (the other model scored 0)"


def _grid(grid: dict[str, tuple]) -> list[dict]:
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def tune_baseline(
    cls: type[Recommender],
    grid: dict[str, tuple],
    train: Interactions,
    catalogue: Catalogue,
    valid_days: int = 30,
    split_kind: str = "temporal",
    windows: int = VALIDATION_WINDOWS,
) -> dict:
    """The grid point with the best geometric-mean NDCG@10 (all, new) on validation splits
    of ``train`` of kind ``split_kind``, averaged over them as the hybrid's tuning does
    (see ``recsys.tuning.validation_splits``)."""
    splits = validation_splits(train, split_kind, valid_days=valid_days, windows=windows)
    best, best_score = {}, -1.0
    for params in _grid(grid):
        per_split = []
        for split in splits:
            model = cls(**params).fit(split.train, catalogue)
            ndcg_all, ndcg_new = (evaluate_ranking(model, split.test, mode=m).ndcg for m in MODES)
            per_split.append((ndcg_all, ndcg_new))
        score = window_objective(per_split)
        if score > best_score:
            best, best_score = params, score
    return best


def make_split(interactions: Interactions, kind: str, test_days: int = 30, seed: int = 0) -> Split:
    """The evaluation split: ``temporal`` (last ``test_days``) or ``random`` per user."""
    if kind == "temporal":
        return temporal_split(interactions, test_days=test_days)
    if kind == "random":
        return random_split(interactions, seed=seed)
    raise DataError(f"unknown split {kind!r}: use temporal or random")


def compare_recommenders(
    interactions: Interactions,
    catalogue: Catalogue,
    *,
    split: str = "temporal",
    test_days: int = 30,
    tune: bool = True,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
    log: Callable[[str], None] = lambda _m: None,
) -> RecommenderComparison:
    """Fit baselines, EASE, content (if embeddings) and the hybrid on one split; score all."""
    data = make_split(interactions, split, test_days)
    models: dict[str, Recommender] = {}
    params: dict[str, dict] = {}
    # Tuning validates on a split of the *training* rows of the test split's kind (the
    # last month, or a random per-user hold-out): the test rows are never seen.
    for name, (cls, grid) in {**BASELINE_GRIDS, **REFERENCE_GRIDS}.items():
        params[name] = (
            tune_baseline(cls, grid, data.train, catalogue, split_kind=data.kind) if tune else {}
        )
        models[name] = cls(**params[name])
        log(f"{name}: {params[name] or 'defaults'}")
    models["ease"] = EASE(l2=300.0)
    if catalogue.embeddings is not None:
        models["content"] = ContentRecommender()
    if tune:
        started = time.perf_counter()
        tuned = tune_hybrid(data.train, catalogue, split_kind=data.kind)
        params["hybrid"] = tuned.params
        log(
            f"hybrid: {tuned.params} (validation NDCG@10 all {tuned.ndcg_all:.4f}, new "
            f"{tuned.ndcg_new:.4f}, mean of {tuned.windows} splits; {len(tuned.tried)} sets "
            f"tried in {time.perf_counter() - started:.0f} s)"
        )
        if tuned.against_single is not None:
            lead, se, single = tuned.against_single
            log(
                f"hybrid: the blend leads the best single model by {lead:+.4f} (standard error "
                f"{se:.4f}) on validation: {'the single model' if single else 'the blend'} kept"
            )
    models["hybrid"] = Hybrid(**params.get("hybrid", {}))
    results, seconds = [], {}
    for name, model in progress(list(models.items())):
        started = time.perf_counter()
        model.fit(data.train, catalogue)
        seconds[name] = time.perf_counter() - started
        model.label = name
        for mode in MODES:
            results.append(evaluate_ranking(model, data.test, mode=mode))
    return RecommenderComparison(data.kind, str(data.cutoff), results, params, seconds)


@dataclass
class PropensityComparison:
    """Held-out metrics and predictions of the propensity model and its baseline."""

    cutoff: str
    rows: int
    positive_rate: float
    metrics: dict[str, dict[str, float]]
    y_true: np.ndarray
    predictions: dict[str, np.ndarray]
    calibration: str

    def table(self) -> pd.DataFrame:
        """One row per model."""
        return pd.DataFrame([{"model": m, **v} for m, v in self.metrics.items()])


def propensity_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC and Brier score."""
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
    }


def compare_propensity(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    end: pd.Timestamp,
    horizon_days: int = 30,
    n_cutoffs: int = 6,
    feature_kwargs: dict | None = None,
    random_state: int = 0,
) -> PropensityComparison:
    """Train on earlier monthly cut-offs, test on the last one whose 30-day window is complete."""
    last = pd.Timestamp(end) - pd.Timedelta(days=horizon_days)
    cutoffs = monthly_cutoffs(last, n_cutoffs, horizon_days)
    X, y, stamps = training_frame(
        customers, orders, cutoffs, horizon_days=horizon_days, **(feature_kwargs or {})
    )
    test = stamps == np.datetime64(cutoffs[-1], "s")
    if y[~test].nunique() < 2 or y[test].nunique() < 2:
        raise DataError(
            "not enough buyers and non-buyers across the cut-offs to evaluate propensity"
        )
    model = PropensityModel(random_state=random_state).fit(X[~test], y[~test])
    baseline = rfm_logistic_baseline().fit(X[~test], y[~test])
    y_test = y[test].to_numpy()
    predictions = {
        "propensity": model.predict_proba(X[test]),
        "logistic_rfm": baseline.predict_proba(X[test])[:, 1],
    }
    return PropensityComparison(
        cutoff=str(cutoffs[-1].date()),
        rows=int(test.sum()),
        positive_rate=float(y_test.mean()),
        metrics={name: propensity_metrics(y_test, p) for name, p in predictions.items()},
        y_true=y_test,
        predictions=predictions,
        calibration=model.calibration_,
    )
