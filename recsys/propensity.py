"""Purchase propensity: calibrated gradient boosting, a logistic baseline, and per-score reasons.

Reasons are explained to a marketer as "what moves this customer's score away from a
typical customer's": for each feature, the model is asked again with that one feature
set to the population's typical value (median, or most common category); the
difference in probability is that feature's contribution. It is exact for what it
says (a one-feature counterfactual), needs no extra library, and reads as "if this
customer's recency were typical, the score would be 18 points lower".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from recsys.features import FEATURE_LABELS, RFM

CALIBRATION_METHODS = ("isotonic", "sigmoid")
# Effects under 2 probability points are noise to a marketer (and can flip sign).
MIN_REASON_EFFECT = 0.02


@dataclass(frozen=True)
class Reason:
    """One feature's push on a score, in probability points."""

    feature: str
    value: object
    effect: float  # change in probability against a typical value of this feature

    def text(self) -> str:
        """A sentence a marketer can read."""
        label = FEATURE_LABELS.get(self.feature, self.feature.replace("_", " "))
        value = f"{self.value:,.0f}" if isinstance(self.value, int | float) else str(self.value)
        direction = "raises" if self.effect > 0 else "lowers"
        points = round(abs(self.effect) * 100)
        return (
            f"{label} = {value} {direction} the score by {points} point{'s' if points != 1 else ''}"
        )


class PropensityModel:
    """HistGradientBoosting + probability calibration chosen by Brier score on validation.

    ``fit`` holds out ``validation_fraction`` (stratified) to compare isotonic and sigmoid
    calibration (each a ``CalibratedClassifierCV`` with ``cv`` folds on the rest), then
    refits the winner on all the data. Categorical columns (pandas ``category`` dtype)
    are handled natively by the booster.
    """

    def __init__(
        self,
        learning_rate: float = 0.05,
        max_iter: int = 600,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        calibration: str = "auto",
        cv: int = 5,
        validation_fraction: float = 0.2,
        random_state: int = 0,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.cv = cv
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def _booster(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=30,
            categorical_features="from_dtype",
            random_state=self.random_state,
        )

    def _calibrated(self, method: str) -> CalibratedClassifierCV:
        # Shuffled folds: rows often arrive in time order, and a calibrator fitted on one
        # period's block can even invert the ranking of another's.
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        return CalibratedClassifierCV(self._booster(), method=method, cv=folds)

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> PropensityModel:
        """Choose the calibration on a validation split, then fit it on everything."""
        y = np.asarray(y).astype(int)
        fewest = int(np.bincount(y, minlength=2).min())
        if fewest < 2 * self.cv:
            raise ValueError(
                f"propensity needs at least {2 * self.cv} buyers and {2 * self.cv} non-buyers "
                f"to fit and calibrate; the smaller class has {fewest}"
            )
        methods = CALIBRATION_METHODS if self.calibration == "auto" else (self.calibration,)
        self.validation_brier_ = self._compare_calibrations(X, y) if len(methods) > 1 else {}
        if self.validation_brier_:
            brier = self.validation_brier_
            self.calibration_ = min(brier, key=lambda method: brier[method])
        else:
            self.calibration_ = methods[0]
        self.model_ = self._calibrated(self.calibration_).fit(X, y)
        self.feature_names_ = list(X.columns)
        self.reference_ = _typical_values(X)
        self.base_rate_ = float(y.mean())
        return self

    def _compare_calibrations(self, X: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
        """Brier score of each calibration method on held-out rows.

        One booster is fitted on the training part; each calibrator is then fitted and
        scored by 5-fold cross-fitting over the booster's validation predictions, so the
        choice costs one extra booster fit instead of one ``CalibratedClassifierCV`` per method.
        """
        X_fit, X_val, y_fit, y_val = train_test_split(
            X, y, test_size=self.validation_fraction, stratify=y, random_state=self.random_state
        )
        raw = self._booster().fit(X_fit, y_fit).predict_proba(X_val)[:, 1]
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=self.random_state)
        briers: dict[str, list[float]] = {m: [] for m in CALIBRATION_METHODS}
        for train_idx, test_idx in folds.split(raw.reshape(-1, 1), y_val):
            for method in CALIBRATION_METHODS:
                if method == "isotonic":
                    calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
                    calibrator.fit(raw[train_idx], y_val[train_idx])
                    p = calibrator.predict(raw[test_idx])
                else:
                    logit = LogisticRegression(C=1e6).fit(_logit(raw[train_idx]), y_val[train_idx])
                    p = logit.predict_proba(_logit(raw[test_idx]))[:, 1]
                briers[method].append(brier_score_loss(y_val[test_idx], p))
        return {m: float(np.mean(v)) for m, v in briers.items()}

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of a purchase, one per row."""
        return self.model_.predict_proba(X[self.feature_names_])[:, 1]

    def effects(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per row and feature: score minus the score with that feature set to typical."""
        X = X[self.feature_names_]
        base = self.predict_proba(X)
        out = {}
        for name in self.feature_names_:
            swapped = X.copy()
            swapped[name] = pd.Series(
                [self.reference_[name]] * len(X), index=X.index, dtype=X[name].dtype
            )
            out[name] = base - self.predict_proba(swapped)
        return pd.DataFrame(out, index=X.index)

    def reasons(self, X: pd.DataFrame, top: int = 3) -> list[list[Reason]]:
        """The ``top`` features moving each row's score most, strongest first."""
        effects = self.effects(X)
        result = []
        for (_, row), (_, values) in zip(
            effects.iterrows(), X[self.feature_names_].iterrows(), strict=True
        ):
            order = row.abs().sort_values(ascending=False).index[:top]
            result.append(
                [
                    Reason(f, _plain(values[f]), float(row[f]))
                    for f in order
                    if abs(row[f]) >= MIN_REASON_EFFECT
                ]
            )
        return result


def _logit(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(clipped / (1 - clipped)).reshape(-1, 1)


def _typical_values(X: pd.DataFrame) -> dict[str, object]:
    typical: dict[str, object] = {}
    for name in X.columns:
        column = X[name]
        if not pd.api.types.is_numeric_dtype(column):
            typical[name] = column.mode().iloc[0]
        else:
            typical[name] = float(column.median())
    return typical


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def log_rfm(X: pd.DataFrame) -> np.ndarray:
    """log1p of recency, frequency and monetary value (heavy-tailed, all non-negative)."""
    return np.log1p(np.clip(X[list(RFM)].to_numpy(float), 0, None))


def rfm_logistic_baseline() -> Pipeline:
    """Logistic regression on log-scaled recency, frequency and monetary value."""
    return make_pipeline(
        FunctionTransformer(log_rfm), StandardScaler(), LogisticRegression(max_iter=1000)
    )
