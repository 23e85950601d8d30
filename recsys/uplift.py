"""Uplift models: who buys *because of* an offer, not who buys anyway.

A propensity score ranks customers by how likely they are to buy; a coupon sent to the
top of that list mostly pays people who would have bought without it. An uplift model
estimates the difference an offer makes, ``tau(x) = P(y=1 | x, offer) - P(y=1 | x, none)``,
from randomised data (a campaign's control group, an e-mail experiment).

All models here follow scikit-learn's shape: hyper-parameters (the base learners) in
``__init__``, ``fit(X, treatment, y)``, ``predict_uplift(X)``, learned state in attributes
ending in ``_``. The base learners are cloned, so one configured estimator can serve many
models. A classifier base learner is asked ``predict_proba(X)[:, 1]``; a regressor
(continuous outcomes such as spend) ``predict(X)``.

- ``TwoModelUplift`` (T-learner): one outcome model per arm, uplift = their difference.
- ``XLearnerUplift`` (Künzel, Sekhon, Bickel & Yu 2019, PNAS 116(10)): outcome models per
  arm, then regressions of the *imputed* individual effects, weighted by the propensity.
  It helps when the arms differ in size (Hillstrom: two thirds got an e-mail).
- ``ClassTransformationUplift`` (Jaskowski & Jaroszewicz 2012): one classifier on
  ``z = 1`` for "treated and bought" or "control and did not buy"; with arms weighted to
  equal size, ``uplift = 2 P(z=1 | x) - 1``. Binary outcomes only.

Treatment is 0/1 (control/treated); a multi-arm experiment is evaluated one arm against
control, or "any treatment" against control, by the caller.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


def check_uplift_data(
    X: Any, treatment: Any, y: Any, binary_outcome: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(treatment, y)`` as arrays; a ValueError says what is wrong with the data."""
    t = np.asarray(treatment)
    y_arr = np.asarray(y, dtype=float)
    if t.ndim != 1 or y_arr.ndim != 1:
        raise ValueError("treatment and y must be one-dimensional (one value per customer)")
    if not (len(X) == len(t) == len(y_arr)):
        raise ValueError(
            f"X, treatment and y must have the same length, got {len(X)}, {len(t)}, {len(y_arr)}"
        )
    values = set(np.unique(t).tolist())
    if not values <= {0, 1}:
        shown = sorted(map(str, values))[:5]
        raise ValueError(
            f"treatment must be 0 (control) or 1 (treated), got values {shown}; "
            "for several treatments compare one arm with control, or any treatment with control"
        )
    if values != {0, 1}:
        raise ValueError(
            "treatment has only one arm; uplift needs both treated (1) and control (0) customers"
        )
    if not np.isfinite(y_arr).all():
        raise ValueError("y has missing or infinite values")
    t_int = t.astype(int)
    if binary_outcome:
        if not set(np.unique(y_arr).tolist()) <= {0.0, 1.0}:
            raise ValueError("y must be 0/1 for this model (use a regressor for amounts)")
        for arm, name in ((1, "treated"), (0, "control")):
            if len(np.unique(y_arr[t_int == arm])) < 2:
                raise ValueError(
                    f"the {name} arm has only one outcome value; a classifier per arm needs "
                    "both responders and non-responders in each arm"
                )
    return t_int, y_arr


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows of a NumPy array or a pandas frame, by a boolean mask or row positions."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def expected_outcome(model: Any, X: Any) -> np.ndarray:
    """Expected outcome: P(y=1) from a classifier, the prediction from a regressor."""
    if is_classifier(model):
        return np.asarray(model.predict_proba(X)[:, 1], dtype=float)
    return np.asarray(model.predict(X), dtype=float)


class UpliftModel(ABC):
    """The serving signature every uplift model shares, so they are interchangeable."""

    @abstractmethod
    def fit(self, X: Any, treatment: Any, y: Any) -> UpliftModel:
        """Learn from customers' features, their arm (0/1) and their outcome."""

    @abstractmethod
    def predict_uplift(self, X: Any) -> np.ndarray:
        """Estimated effect of the treatment on each customer's expected outcome."""


class TwoModelUplift(UpliftModel):
    """T-learner: separate outcome models for treated and control; uplift is their difference.

    Simple and unbiased in expectation, but each model's errors add up in the difference,
    and the small arm's model is the noisier one.
    """

    def __init__(self, estimator: Any = None, control_estimator: Any = None) -> None:
        self.estimator = estimator
        self.control_estimator = control_estimator

    def fit(self, X: Any, treatment: Any, y: Any) -> TwoModelUplift:
        """Fit one clone of the base learner per arm."""
        base = self.estimator if self.estimator is not None else HistGradientBoostingClassifier()
        control_base = self.control_estimator if self.control_estimator is not None else base
        t, y_arr = check_uplift_data(X, treatment, y, binary_outcome=is_classifier(base))
        self.treated_model_ = clone(base).fit(take_rows(X, t == 1), y_arr[t == 1])
        self.control_model_ = clone(control_base).fit(take_rows(X, t == 0), y_arr[t == 0])
        return self

    def predict_uplift(self, X: Any) -> np.ndarray:
        """Treated model's expected outcome minus the control model's."""
        return expected_outcome(self.treated_model_, X) - expected_outcome(self.control_model_, X)


class XLearnerUplift(UpliftModel):
    """X-learner (Künzel et al. 2019): regress imputed individual effects, mix by propensity.

    1. outcome models ``mu1`` on treated, ``mu0`` on control (as the T-learner);
    2. imputed effects: treated ``d1 = y - mu0(x)``, control ``d0 = mu1(x) - y``;
    3. effect regressors ``tau1`` on (treated x, d1) and ``tau0`` on (control x, d0);
    4. ``tau(x) = g(x) tau0(x) + (1 - g(x)) tau1(x)`` with ``g`` the probability of treatment.

    In a randomised experiment ``g`` is a constant: by default the treated share of the
    training data; pass ``propensity`` to fix it (e.g. the campaign's designed share).
    """

    def __init__(
        self,
        outcome_estimator: Any = None,
        effect_estimator: Any = None,
        propensity: float | None = None,
    ) -> None:
        self.outcome_estimator = outcome_estimator
        self.effect_estimator = effect_estimator
        self.propensity = propensity

    def fit(self, X: Any, treatment: Any, y: Any) -> XLearnerUplift:
        """Fit the two outcome models, then the two effect regressors."""
        outcome = self.outcome_estimator
        if outcome is None:
            outcome = HistGradientBoostingClassifier()
        effect = self.effect_estimator
        if effect is None:
            effect = HistGradientBoostingRegressor()
        t, y_arr = check_uplift_data(X, treatment, y, binary_outcome=is_classifier(outcome))
        if self.propensity is not None and not 0.0 < self.propensity < 1.0:
            raise ValueError(f"propensity must lie strictly between 0 and 1, got {self.propensity}")
        treated, control = take_rows(X, t == 1), take_rows(X, t == 0)
        self.treated_model_ = clone(outcome).fit(treated, y_arr[t == 1])
        self.control_model_ = clone(outcome).fit(control, y_arr[t == 0])
        d1 = y_arr[t == 1] - expected_outcome(self.control_model_, treated)
        d0 = expected_outcome(self.treated_model_, control) - y_arr[t == 0]
        self.treated_effect_model_ = clone(effect).fit(treated, d1)
        self.control_effect_model_ = clone(effect).fit(control, d0)
        self.propensity_ = float(t.mean()) if self.propensity is None else float(self.propensity)
        return self

    def predict_uplift(self, X: Any) -> np.ndarray:
        """Both effect regressors, the larger arm's weighted by the smaller arm's share."""
        g = self.propensity_
        tau0 = np.asarray(self.control_effect_model_.predict(X), dtype=float)
        tau1 = np.asarray(self.treated_effect_model_.predict(X), dtype=float)
        return g * tau0 + (1.0 - g) * tau1


class ClassTransformationUplift(UpliftModel):
    """Class transformation (Jaskowski & Jaroszewicz 2012): one classifier, one target.

    ``z = y t + (1 - y)(1 - t)``. When both arms weigh the same, ``P(z=1 | x) =
    (P(y=1 | x, t=1) + 1 - P(y=1 | x, t=0)) / 2``, so ``uplift = 2 P(z=1 | x) - 1``.
    Unequal arms are weighted to equal total weight through ``sample_weight`` (the base
    learner must accept it), which keeps that identity true. Binary outcomes only.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, treatment: Any, y: Any) -> ClassTransformationUplift:
        """Fit the classifier on the transformed target with arms balanced by weight."""
        base = self.estimator if self.estimator is not None else HistGradientBoostingClassifier()
        if not is_classifier(base):
            raise ValueError("class transformation needs a classifier as its base learner")
        t, y_arr = check_uplift_data(X, treatment, y, binary_outcome=True)
        z = (y_arr == t).astype(int)
        share = t.mean()
        weight = np.where(t == 1, 0.5 / share, 0.5 / (1.0 - share))
        model = clone(base)
        fit_params = _sample_weight_params(model, weight)
        self.model_ = model.fit(X, z, **fit_params)
        return self

    def predict_uplift(self, X: Any) -> np.ndarray:
        """``2 P(z=1 | x) - 1``."""
        return 2.0 * np.asarray(self.model_.predict_proba(X)[:, 1], dtype=float) - 1.0


def _sample_weight_params(model: Any, weight: np.ndarray) -> dict[str, np.ndarray]:
    """``sample_weight`` for an estimator, or for a pipeline's last step."""
    steps = getattr(model, "steps", None)
    if steps:
        return {f"{steps[-1][0]}__sample_weight": weight}
    return {"sample_weight": weight}
