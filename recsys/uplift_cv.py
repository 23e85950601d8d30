"""Cross-validated comparison of uplift models with random and propensity targeting.

One question decides whether an uplift model earns its place: on customers it has not
seen, does ranking by predicted uplift find more incremental buyers than the ranking the
shop would use anyway (a purchase-propensity score), and than no ranking at all? So
every fold scores all of them on the same test rows:

- each uplift model, by ``predict_uplift``;
- propensity targeting: a response model (a classifier, or a regressor for amounts)
  fitted on the training rows' outcomes with the treatment ignored, ranking by the
  predicted outcome. ``treated_only=True`` variants fit it on the treated rows only
  ("who responds when mailed"), the other way marketers build such lists;
- random targeting: a seeded random permutation.

Folds are stratified by arm and outcome (responders are rare, and each fold must hold
both arms' responders). Nothing is chosen on test folds: the base learners keep their
defaults (scikit-learn's gradient boosting stops early on a split of the training rows).
Metrics are defined in ``recsys.uplift_eval``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import StratifiedKFold

from recsys.uplift import UpliftModel, check_uplift_data, expected_outcome, take_rows
from recsys.uplift_eval import qini_on_grid, uplift_scores

RANDOM = "random targeting"
GRID = np.linspace(0.0, 1.0, 51)


@dataclass
class UpliftComparison:
    """Per-fold metrics of every ranking, and their Qini curves on a common grid."""

    per_fold: pd.DataFrame
    curves: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation over folds, rankings in the order they were run."""
        labels = ("fold", "ranking", "kind", "chosen")
        metrics = [c for c in self.per_fold.columns if c not in labels]
        agg = self.per_fold.groupby("ranking", sort=False)[metrics].agg(["mean", "std"])
        agg.columns = [f"{m}_{s}" for m, s in agg.columns]
        return agg

    def mean_curves(self) -> dict[str, np.ndarray]:
        """Qini curve per customer averaged over folds, at shares ``GRID`` targeted."""
        return {name: np.mean(curves, axis=0) for name, curves in self.curves.items()}

    def difference(
        self, challenger: str, reference: str, metric: str = "qini"
    ) -> tuple[float, float]:
        """Mean and standard deviation over folds of ``challenger - reference`` (paired)."""
        table = self.per_fold.pivot(index="fold", columns="ranking", values=metric)
        gap = table[challenger] - table[reference]
        return float(gap.mean()), float(gap.std())

    def wins(self, challenger: str, reference: str, metric: str = "qini") -> int:
        """In how many folds ``challenger`` scored higher than ``reference``."""
        table = self.per_fold.pivot(index="fold", columns="ranking", values=metric)
        return int((table[challenger] > table[reference]).sum())


def default_strata(treatment: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Arm x (responded or not): the cells every fold should hold in proportion."""
    return np.asarray(treatment, dtype=int) * 2 + (np.asarray(y) > 0).astype(int)


def compare_uplift_rankings(
    models: Mapping[str, Callable[[], UpliftModel]],
    propensity: Mapping[str, tuple[Any, bool]],
    X: Any,
    treatment: Any,
    y: Any,
    folds: int = 5,
    seed: int = 0,
    strata: np.ndarray | None = None,
    on_fold: Callable[[int, str, dict[str, float]], None] | None = None,
) -> UpliftComparison:
    """Score uplift models, response models and random targeting on the same CV folds.

    ``models`` maps a name to a factory of a fresh uplift model; ``propensity`` maps a name
    to ``(estimator, treated_only)``. ``strata`` (default: arm x outcome) stratifies the
    folds; pass the multi-arm assignment to keep every arm in proportion. ``on_fold`` is
    called with each fold's scores (for progress output).
    """
    t, y_arr = check_uplift_data(X, treatment, y)
    cells = default_strata(t, y_arr) if strata is None else np.asarray(strata)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    rows: list[dict[str, Any]] = []
    curves: dict[str, list[np.ndarray]] = {}
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(y_arr)), cells)):
        X_train, X_test = take_rows(X, train), take_rows(X, test)
        t_train, y_train, t_test, y_test = t[train], y_arr[train], t[test], y_arr[test]
        # (name, kind, scores, the candidate a selecting model chose or "")
        rankings: list[tuple[str, str, np.ndarray, str]] = []
        for name, make in models.items():
            model = make().fit(X_train, t_train, y_train)
            chosen = str(getattr(model, "chosen_", ""))
            rankings.append((name, "uplift", model.predict_uplift(X_test), chosen))
        for name, (estimator, treated_only) in propensity.items():
            keep = t_train == 1 if treated_only else np.ones(len(t_train), dtype=bool)
            response = clone(estimator).fit(
                take_rows(X_train, keep), _target(estimator, y_train[keep])
            )
            rankings.append((name, "propensity", expected_outcome(response, X_test), ""))
        noise = np.random.default_rng([seed, fold]).random(len(test))
        rankings.append((RANDOM, "random", noise, ""))
        for name, kind, score, chosen in rankings:
            scores = uplift_scores(y_test, score, t_test)
            rows.append({"fold": fold, "ranking": name, "kind": kind, "chosen": chosen, **scores})
            curves.setdefault(name, []).append(qini_on_grid(y_test, score, t_test, GRID))
            if on_fold is not None:
                on_fold(fold, name, scores)
    return UpliftComparison(per_fold=pd.DataFrame(rows), curves=curves)


def _target(estimator: Any, y: np.ndarray) -> np.ndarray:
    """Integer labels for a classifier, amounts for a regressor."""
    return y.astype(int) if is_classifier(estimator) else y
