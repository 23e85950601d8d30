"""Customer features before a cut-off, and the "bought in the next 30 days" label.

Inputs are plain frames so the same code serves the store, the Online Retail file and
the tests:

* ``orders``: customer, order, timestamp, amount (one row per order)
* ``lines``: customer, timestamp, category (one row per order line; optional)
* ``events``: customer, timestamp, kind (browsing: view, add_to_cart, search, wishlist; optional)
* ``customers``: customer, created_at (every customer to score, with or without orders)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RFM = ("recency_days", "frequency", "monetary")

# What a marketer reads next to a score.
FEATURE_LABELS = {
    "recency_days": "days since the last order",
    "frequency": "orders so far",
    "monetary": "total spent",
    "avg_order_value": "average order value",
    "tenure_days": "days since sign-up",
    "orders_90d": "orders in the last 90 days",
    "spend_90d": "spend in the last 90 days",
    "mean_gap_days": "usual days between orders",
    "distinct_categories": "categories bought from",
    "views_30d": "product views in the last 30 days",
    "carts_30d": "add-to-carts in the last 30 days",
    "searches_30d": "searches in the last 30 days",
    "active_days_30d": "days with browsing in the last 30 days",
    "days_since_event": "days since the last visit",
}
NO_HISTORY_DAYS = 999.0  # recency of a customer who never ordered / never browsed


def customer_features(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    cutoff: pd.Timestamp,
    *,
    lines: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    top_categories: list[str] | None = None,
) -> pd.DataFrame:
    """One row per customer known at ``cutoff``, computed only from data before it."""
    cutoff = pd.Timestamp(cutoff)
    known = customers[pd.to_datetime(customers["created_at"]) < cutoff]
    out = pd.DataFrame(index=pd.Index(known["customer"].to_numpy(), name="customer"))
    out["tenure_days"] = (cutoff - pd.to_datetime(known["created_at"])).dt.days.to_numpy()

    past = orders[pd.to_datetime(orders["timestamp"]) < cutoff]
    ts = pd.to_datetime(past["timestamp"])
    grouped = past.assign(ts=ts).groupby("customer")
    out["recency_days"] = ((cutoff - grouped["ts"].max()).dt.total_seconds() / 86400).reindex(
        out.index
    )
    out["frequency"] = grouped["order"].nunique().reindex(out.index)
    out["monetary"] = grouped["amount"].sum().reindex(out.index)
    out["avg_order_value"] = out["monetary"] / out["frequency"]
    recent = past[ts >= cutoff - pd.Timedelta(days=90)]
    out["orders_90d"] = recent.groupby("customer")["order"].nunique().reindex(out.index)
    out["spend_90d"] = recent.groupby("customer")["amount"].sum().reindex(out.index)
    span = (grouped["ts"].max() - grouped["ts"].min()).dt.total_seconds() / 86400
    out["mean_gap_days"] = (span / (grouped["order"].nunique() - 1).replace(0, np.nan)).reindex(
        out.index
    )

    if lines is not None and len(lines):
        past_lines = lines[pd.to_datetime(lines["timestamp"]) < cutoff]
        out["distinct_categories"] = (
            past_lines.groupby("customer")["category"].nunique().reindex(out.index)
        )
        counts = past_lines.groupby(["customer", "category"]).size().unstack(fill_value=0)
        shares = counts.div(counts.sum(axis=1), axis=0)
        for category in top_categories or []:
            column = shares.get(category, 0.0)
            out[f"share_{category}"] = pd.Series(column, index=shares.index).reindex(out.index)

    if events is not None:
        out = out.join(_browsing_features(events, cutoff), how="left")

    fills = {
        "recency_days": NO_HISTORY_DAYS,
        "days_since_event": NO_HISTORY_DAYS,
        "mean_gap_days": NO_HISTORY_DAYS,
    }
    return out.fillna({c: fills.get(c, 0.0) for c in out.columns}).astype(float)


def _browsing_features(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    ts = pd.to_datetime(events["timestamp"])
    past = events[ts < cutoff].assign(ts=ts[ts < cutoff])
    window = past[past["ts"] >= cutoff - pd.Timedelta(days=30)]
    by_kind = window.groupby(["customer", "kind"]).size().unstack(fill_value=0)
    feats = pd.DataFrame(index=past["customer"].unique())
    for kind, name in (
        ("view", "views_30d"),
        ("add_to_cart", "carts_30d"),
        ("search", "searches_30d"),
    ):
        feats[name] = by_kind.get(kind, 0)
    # Distinct calendar days with any browsing (nunique keeps an integer dtype when empty).
    feats["active_days_30d"] = (
        window.assign(day=window["ts"].dt.normalize()).groupby("customer")["day"].nunique()
    )
    feats["days_since_event"] = (
        cutoff - past.groupby("customer")["ts"].max()
    ).dt.total_seconds() / 86400
    return feats


def purchase_label(
    index: pd.Index, orders: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int = 30
) -> pd.Series:
    """1 for customers who order in ``[cutoff, cutoff + horizon_days)``, else 0."""
    ts = pd.to_datetime(orders["timestamp"])
    window = orders[(ts >= cutoff) & (ts < cutoff + pd.Timedelta(days=horizon_days))]
    buyers = set(window["customer"].tolist())
    return pd.Series([int(c in buyers) for c in index], index=index, name="label")


def training_frame(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    cutoffs: list[pd.Timestamp],
    *,
    horizon_days: int = 30,
    **kwargs: object,
) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Features and labels stacked over several cut-offs (more examples, same rules).

    Returns the features, the labels and the cut-off of each row (so a caller can keep
    the last cut-off for validation).
    """
    frames, labels, stamps = [], [], []
    for cutoff in cutoffs:
        features = customer_features(customers, orders, cutoff, **kwargs)  # type: ignore[arg-type]
        frames.append(features)
        labels.append(purchase_label(features.index, orders, cutoff, horizon_days))
        stamps.append(np.full(len(features), np.datetime64(pd.Timestamp(cutoff), "s")))
    X = pd.concat(frames)
    return X, pd.concat(labels), np.concatenate(stamps)


def monthly_cutoffs(last: pd.Timestamp, count: int, step_days: int = 30) -> list[pd.Timestamp]:
    """``count`` cut-offs ending at ``last``, ``step_days`` apart, oldest first."""
    return [pd.Timestamp(last) - pd.Timedelta(days=step_days * i) for i in reversed(range(count))]
