"""Choosing an uplift model without looking at the test data: an inner validation split.

Which learner ranks best depends on the data (a linear T-learner on a few broad signals,
boosting on interactions), and uplift cannot be checked customer by customer, so the
choice is made the way it will be made in production: hold out part of the *training*
customers (stratified by arm and outcome), fit every candidate on the rest, keep the one
with the highest Qini coefficient on the held-out part, and refit it on all of them. The
cross-validated benchmark then scores this whole procedure on its test folds, so the
number reported is not inflated by having picked the best model on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from recsys.uplift import UpliftModel, check_uplift_data, take_rows
from recsys.uplift_eval import qini_coefficient


class SelectedUplift(UpliftModel):
    """The candidate with the best Qini on an inner validation split, refitted on all rows.

    ``candidates`` maps a name to a factory of a fresh model. After ``fit``:
    ``validation_scores_`` (name -> Qini on the inner split), ``chosen_`` and ``model_``.
    """

    def __init__(
        self,
        candidates: Mapping[str, Callable[[], UpliftModel]],
        validation_fraction: float = 0.3,
        random_state: int = 0,
    ) -> None:
        self.candidates = candidates
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def fit(self, X: Any, treatment: Any, y: Any) -> SelectedUplift:
        """Score every candidate on the inner split, then refit the best on everything."""
        if not self.candidates:
            raise ValueError("SelectedUplift needs at least one candidate model")
        t, y_arr = check_uplift_data(X, treatment, y)
        strata = t * 2 + (y_arr > 0).astype(int)
        fit_rows, check_rows = train_test_split(
            np.arange(len(t)),
            test_size=self.validation_fraction,
            stratify=strata,
            random_state=self.random_state,
        )
        scores: dict[str, float] = {}
        for name, make in self.candidates.items():
            model = make().fit(take_rows(X, fit_rows), t[fit_rows], y_arr[fit_rows])
            predicted = model.predict_uplift(take_rows(X, check_rows))
            scores[name] = qini_coefficient(y_arr[check_rows], predicted, t[check_rows])
        self.validation_scores_ = scores
        self.chosen_ = max(scores, key=lambda name: scores[name])
        self.model_ = self.candidates[self.chosen_]().fit(X, t, y_arr)
        return self

    def predict_uplift(self, X: Any) -> np.ndarray:
        """The chosen model's prediction."""
        return self.model_.predict_uplift(X)
