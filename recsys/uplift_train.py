"""The shop's uplift model, trained on its own campaigns' randomised exposures.

Every exposure the offer decision recorded is one example: treatment 1 when an offer was
shown, 0 in the campaign's control group or the global hold-out; outcome 1 when the
customer placed an order within the attribution window after it. Features are the
customer's as they were before the exposure (``recsys.features``, at the start of the
exposure's week, so no later order leaks in). Exposures whose window has not ended by the
last order are left out: their outcome is not known yet. The learner is chosen among
T-learner, X-learner and class transformation on an inner split
(``recsys.uplift_select``), then every customer's predicted uplift is written into
``Customer.tags`` as ``uplift`` with ``uplift_rank`` (the share of customers scoring at
least as high: 0.1 = top 10%), which campaigns' ``targeting`` reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from recsys.features import customer_features
from recsys.uplift import (
    ClassTransformationUplift,
    TwoModelUplift,
    UpliftModel,
    XLearnerUplift,
)
from recsys.uplift_select import SelectedUplift
from store.models import Customer

UPLIFT_TAGS = ("uplift", "uplift_rank", "uplift_version")
DEFAULT_WINDOW_DAYS = 14  # the campaigns' attribution window when the store names none
MIN_ARM_EXAMPLES = 30  # exposures per arm below which no model is trained
TREATED_ARMS = ("variant",)  # promotions.assignment.Arm.VARIANT: an offer was shown
NO_OFFER_ARMS = ("control", "holdout")


class NotEnoughExposures(ValueError):
    """The store's exposure history cannot support an uplift model (the message says why)."""


@dataclass(frozen=True)
class ExposureData:
    """Uplift examples: features before each exposure, arm and outcome."""

    X: pd.DataFrame
    treatment: np.ndarray
    y: np.ndarray
    customers: np.ndarray


def load_exposures(factory: sessionmaker[Session]) -> tuple[pd.DataFrame, int]:
    """Every recorded exposure (customer, timestamp, treated) and the attribution window."""
    with factory() as s:
        if not inspect(s.get_bind()).has_table("promo_exposures"):
            return pd.DataFrame(columns=["customer", "timestamp", "treated"]), DEFAULT_WINDOW_DAYS
        rows = s.execute(text("SELECT customer_id, at, arm FROM promo_exposures")).all()
        window = s.execute(text("SELECT attribution_days FROM promo_settings LIMIT 1")).scalar()
    frame = pd.DataFrame(rows, columns=["customer", "timestamp", "arm"])
    frame = frame[frame["arm"].isin(TREATED_ARMS + NO_OFFER_ARMS)]
    frame = frame.assign(
        timestamp=pd.to_datetime(frame["timestamp"]),
        treated=frame["arm"].isin(TREATED_ARMS).astype(int),
    )
    return frame[["customer", "timestamp", "treated"]], int(window or DEFAULT_WINDOW_DAYS)


def exposures_fingerprint(data_fingerprint: str, exposures: pd.DataFrame, window: int) -> str:
    """The uplift model's input: the store's data, every exposure and the window."""
    digest = hashlib.sha256(f"{data_fingerprint}:{window}:{len(exposures)}".encode())
    ordered = exposures.sort_values(["timestamp", "customer"])
    digest.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def exposure_outcomes(exposures: pd.DataFrame, orders: pd.DataFrame, window_days: int) -> pd.Series:
    """1 where the customer ordered in ``(exposure, exposure + window]``, else 0."""
    by_customer = {
        c: np.sort(pd.to_datetime(g["timestamp"]).to_numpy()) for c, g in orders.groupby("customer")
    }
    window = np.timedelta64(window_days, "D")
    out = []
    for customer, at in zip(exposures["customer"], exposures["timestamp"], strict=True):
        times = by_customer.get(customer)
        start = np.datetime64(at)
        if times is None:
            out.append(0)
            continue
        after = times[np.searchsorted(times, start, side="right") :]
        out.append(int(len(after) > 0 and after[0] <= start + window))
    return pd.Series(out, index=exposures.index, name="ordered")


def exposure_data(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    exposures: pd.DataFrame,
    window_days: int,
    feature_kwargs: dict[str, Any],
) -> ExposureData:
    """Examples for the exposures whose window ended by the last order in the store."""
    end = pd.to_datetime(orders["timestamp"]).max()
    done = exposures[exposures["timestamp"] + pd.Timedelta(days=window_days) <= end]
    y = exposure_outcomes(done, orders, window_days)
    week = done["timestamp"].dt.normalize() - pd.to_timedelta(done["timestamp"].dt.day_of_week, "D")
    frames = []
    for cutoff, rows in done.groupby(week):
        features = customer_features(customers, orders, cutoff, **feature_kwargs)
        frames.append(features.reindex(rows["customer"].to_numpy()).set_index(rows.index))
    X = pd.concat(frames).loc[done.index] if frames else pd.DataFrame()
    known = X.notna().all(axis=1) if len(X) else pd.Series(dtype=bool)
    X = X[known]
    return ExposureData(
        X=X.reset_index(drop=True),
        treatment=done.loc[X.index, "treated"].to_numpy(),
        y=y.loc[X.index].to_numpy(),
        customers=done.loc[X.index, "customer"].to_numpy(),
    )


def candidate_models(seed: int = 0) -> dict[str, Callable[[], UpliftModel]]:
    """The learners the inner split chooses among: shallow boosting and linear families.

    The shop's history holds thousands of exposures, not Hillstrom's 64,000: trees are kept
    shallow with at least 40 exposures per leaf so a difference of two models is not noise.
    """
    shallow = {"max_depth": 3, "min_samples_leaf": 40, "learning_rate": 0.05, "max_iter": 150}
    hgb = HistGradientBoostingClassifier(random_state=seed, **shallow)
    hgb_effect = HistGradientBoostingRegressor(random_state=seed, **shallow)
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    linear_effect = make_pipeline(StandardScaler(), LinearRegression())
    return {
        "T-learner (HGB shallow)": partial(TwoModelUplift, hgb),
        "X-learner (HGB shallow)": partial(XLearnerUplift, hgb, hgb_effect),
        "class transformation (HGB shallow)": partial(ClassTransformationUplift, hgb),
        "T-learner (linear)": partial(TwoModelUplift, linear),
        "X-learner (linear)": partial(XLearnerUplift, linear, linear_effect),
    }


def fit_uplift(data: ExposureData, seed: int = 0) -> SelectedUplift:
    """The learner with the best inner-split Qini, refitted on every exposure."""
    for arm, name in ((1, "shown an offer"), (0, "in control or hold-out")):
        count = int((data.treatment == arm).sum())
        if count < MIN_ARM_EXAMPLES:
            raise NotEnoughExposures(
                f"uplift needs at least {MIN_ARM_EXAMPLES} exposures {name} whose attribution "
                f"window has ended; the store has {count} (run campaigns with a control group "
                "longer, or seed the demo history with `python -m promotions demo`)"
            )
    return SelectedUplift(candidate_models(seed), random_state=seed).fit(
        data.X, data.treatment, data.y
    )


def uplift_tags(model: UpliftModel, features: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Each customer's predicted uplift and rank share (0 < rank <= 1, small = targeted first)."""
    scores = np.asarray(model.predict_uplift(features), dtype=float)
    rank = pd.Series(-scores).rank(method="max").to_numpy() / max(len(scores), 1)
    return {
        int(customer): {"uplift": round(float(score), 4), "uplift_rank": round(float(r), 4)}
        for customer, score, r in zip(features.index, scores, rank, strict=True)
    }


def write_uplift_tags(factory: sessionmaker[Session], tags: dict[int, dict[str, Any]]) -> int:
    """Replace only the uplift keys of ``Customer.tags`` (propensity and the rest stay)."""
    with factory() as session, session.begin():
        current: dict[int, Any] = dict(session.execute(select(Customer.id, Customer.tags)).all())
        rows = [
            {
                "id": customer_id,
                "tags": {
                    **{
                        k: v
                        for k, v in (current[customer_id] or {}).items()
                        if k not in UPLIFT_TAGS
                    },
                    **new,
                },
            }
            for customer_id, new in tags.items()
            if customer_id in current
        ]
        if rows:
            session.execute(update(Customer), rows)
    return len(rows)
