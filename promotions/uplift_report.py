"""Incremental conversions per coupon for three ways of choosing whom to offer.

``python -m promotions simulate --policies`` compares "offer everyone", "offer the top
share by propensity" and "offer the same share by uplift" over the customers who can be
offered (consent, not opted out, scored by ``python -m recsys train``). Two numbers each:

* **true** — on the demo shop, the simulator's ground truth
  (``promotions.demo_response``): expected orders with an offer minus without, summed over
  the targeted customers, divided by the coupons (one per targeted customer);
* **logged** — what any shop can compute: among the targeted customers' recorded
  exposures whose window has ended, the share who ordered within the attribution window
  when shown an offer minus the share who did in control or hold-out.

Intervals are 95% percentile bootstraps over customers (each draw resamples customers;
the policy's choice of customers stays fixed). The scores were fitted on the history and
are not tuned here; the logged estimate reuses that history, so it is in-sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.demo_response import true_response
from promotions.models import PromoExposure, PromoSettings
from store.models import Customer, Order

POLICIES = ("everyone", "propensity", "uplift")
BOOTSTRAP_DRAWS = 2000


@dataclass(frozen=True)
class ScoredCustomer:
    """One customer who can be offered, their scores and (on the demo shop) true uplift."""

    customer_id: int
    propensity: float
    uplift: float
    true_uplift: float | None = None


@dataclass(frozen=True)
class LoggedExposure:
    """One recorded exposure whose attribution window has ended."""

    customer_id: int
    treated: bool  # shown an offer (else control or hold-out)
    ordered: bool  # ordered within the window


@dataclass(frozen=True)
class Interval:
    """A point estimate and its 95% bootstrap interval (nan where there is no data)."""

    value: float
    low: float
    high: float

    def text(self) -> str:
        """'0.213 [0.190, 0.236]' or '—'."""
        if np.isnan(self.value):
            return "—"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class PolicyResult:
    """What one policy achieves per coupon."""

    policy: str
    coupons: int
    true_per_coupon: Interval
    true_total: float
    logged_per_coupon: Interval
    logged_exposures: int


def targeted(customers: Sequence[ScoredCustomer], policy: str, share: float) -> np.ndarray:
    """The customers a policy offers to, as a boolean mask (ties broken by customer id)."""
    n = len(customers)
    if policy == "everyone":
        return np.ones(n, dtype=bool)
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
    score = np.array([getattr(c, policy) for c in customers], dtype=float)
    ids = np.array([c.customer_id for c in customers])
    order = np.lexsort((ids, -score))
    mask = np.zeros(n, dtype=bool)
    mask[order[: int(round(share * n))]] = True
    return mask


def policy_report(
    customers: Sequence[ScoredCustomer],
    exposures: Sequence[LoggedExposure],
    share: float = 0.3,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = 0,
) -> list[PolicyResult]:
    """Each policy's incremental conversions per coupon, true and logged, with intervals."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    index = {c.customer_id: i for i, c in enumerate(customers)}
    n = len(customers)
    # Per customer: treated exposures, their orders, untreated exposures, their orders.
    logged = np.zeros((4, n))
    for e in exposures:
        i = index.get(e.customer_id)
        if i is not None:
            row = 0 if e.treated else 2
            logged[row, i] += 1
            logged[row + 1, i] += e.ordered
    truth = np.array(
        [np.nan if c.true_uplift is None else c.true_uplift for c in customers], dtype=float
    )
    rng = np.random.default_rng(seed)
    weights = np.vstack(
        [np.ones(n)] + [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(draws)]
    )
    results = []
    for policy in POLICIES:
        mask = targeted(customers, policy, share)
        w = weights * mask
        with np.errstate(invalid="ignore", divide="ignore"):
            true = (w @ np.nan_to_num(truth)) / w.sum(axis=1)
            if np.isnan(truth[mask]).any():
                true = np.full(len(w), np.nan)
            rate_t = (w @ logged[1]) / (w @ logged[0])
            rate_c = (w @ logged[3]) / (w @ logged[2])
        results.append(
            PolicyResult(
                policy=policy,
                coupons=int(mask.sum()),
                true_per_coupon=_interval(true),
                true_total=float(np.nansum(truth[mask])) if not np.isnan(true[0]) else np.nan,
                logged_per_coupon=_interval(rate_t - rate_c),
                logged_exposures=int(logged[0][mask].sum() + logged[2][mask].sum()),
            )
        )
    return results


def _interval(values: np.ndarray) -> Interval:
    point, draws = values[0], values[1:]
    draws = draws[~np.isnan(draws)]
    if np.isnan(point) or not len(draws):
        return Interval(float(point), np.nan, np.nan)
    low, high = np.percentile(draws, [2.5, 97.5])
    return Interval(float(point), float(low), float(high))


def load_policy_inputs(
    sessions: sessionmaker[Session],
) -> tuple[list[ScoredCustomer], list[LoggedExposure]]:
    """Offerable scored customers (truth where the demo's taste is known) and logged exposures."""
    with sessions() as s:
        window = timedelta(days=s.scalar(select(PromoSettings.attribution_days)) or 14)
        customers = []
        for row in s.scalars(select(Customer).order_by(Customer.id)):
            tags = row.tags or {}
            if not row.marketing_consent or row.offers_opt_out:
                continue
            if tags.get("propensity") is None or tags.get("uplift") is None:
                continue
            prefs = row.preferences or {}
            truth = true_response(row.id, prefs).uplift if "frequency" in prefs else None
            customers.append(
                ScoredCustomer(row.id, float(tags["propensity"]), float(tags["uplift"]), truth)
            )
        orders: dict[int, list[datetime]] = {}
        for customer_id, placed in s.execute(
            select(Order.customer_id, Order.placed_at).where(
                Order.customer_id.is_not(None), Order.status != "cancelled", Order.kind == "order"
            )
        ):
            assert customer_id is not None  # the query leaves guests' orders out
            orders.setdefault(customer_id, []).append(placed)
        end = max((max(v) for v in orders.values()), default=None)
        exposures = []
        for customer_id, arm, at in s.execute(
            select(PromoExposure.customer_id, PromoExposure.arm, PromoExposure.at)
        ):
            if end is None or at + window > end:
                continue  # the window has not ended: the outcome is not known yet
            ordered = any(at < t <= at + window for t in orders.get(customer_id, ()))
            exposures.append(LoggedExposure(customer_id, arm == "variant", ordered))
    return customers, exposures


def format_report(results: Sequence[PolicyResult], share: float) -> str:
    """The table ``simulate --policies`` prints."""
    names = {
        "everyone": "offer everyone",
        "propensity": f"top {share:.0%} by propensity",
        "uplift": f"top {share:.0%} by uplift",
    }
    lines = [
        f"{'policy':<26} {'coupons':>7}  {'true extra orders / coupon':<27} {'true total':>10}  "
        f"{'logged estimate / coupon':<27} {'exposures':>9}"
    ]
    for r in results:
        total = "—" if np.isnan(r.true_total) else f"{r.true_total:.1f}"
        lines.append(
            f"{names[r.policy]:<26} {r.coupons:>7}  {r.true_per_coupon.text():<27} {total:>10}  "
            f"{r.logged_per_coupon.text():<27} {r.logged_exposures:>9}"
        )
    return "\n".join(lines)
