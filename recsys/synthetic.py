"""Interaction data sets of known structure, for checking that a model holds off its own data.

The benchmarks and tests need data shaped unlike the data the hybrid was tuned on, with
structure we planted and so can reason about:

* ``ratings``: every (user, item) at most once (no repeat purchases), a long tail of item
  popularity and of user activity, taste clusters, and *cold* items released late that
  only a few users reach before the end of the data. Like public rating sets.
* ``shop``: customers place orders over a year; part of each basket re-orders the
  customer's own staples (repeat purchases), the rest is new items from their taste
  clusters; long tail and late releases as above.

Deterministic for a seed. Written to CSV by ``write_csv`` (Unix seconds, as many public
files are), never into the repository's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.interactions import Interactions

START = np.datetime64("2023-01-01T00:00:00", "s")
SHAPES = ("ratings", "shop")


@dataclass(frozen=True)
class SyntheticShape:
    """The knobs of one generated data set (defaults give ~1-2 minutes of benchmark)."""

    kind: str = "ratings"
    n_users: int = 1200
    n_items: int = 1000
    n_clusters: int = 12
    days: int = 365
    zipf: float = 1.1  # item popularity ~ rank^-zipf: the long tail
    taste_focus: float = 0.25  # Dirichlet concentration of a user's clusters (small: focused)
    cold_share: float = 0.1  # items released in the last 15% of the period
    mean_items: float = 40.0  # ratings: items per user (lognormal)
    mean_orders: float = 6.0  # shop: orders per customer (geometric-ish)
    basket_size: float = 4.0  # shop: lines per order (Poisson + 1)
    repeat_share: float = 0.5  # shop: share of a basket re-ordered from the staples


def generate(shape: SyntheticShape, seed: int = 0) -> Interactions:
    """Interactions of the given shape (see the module docstring for what is planted)."""
    if shape.kind not in SHAPES:
        raise ValueError(f"unknown shape {shape.kind!r}: use one of {SHAPES}")
    rng = np.random.default_rng(seed)
    items = _items(shape, rng)
    rows = (_ratings if shape.kind == "ratings" else _shop)(shape, items, rng)
    frame = pd.DataFrame(rows, columns=["user", "item", "day"])
    seconds = np.round(frame["day"].to_numpy() * 86_400).astype(np.int64)
    frame["timestamp"] = START + seconds.astype("timedelta64[s]")
    return Interactions.from_frame(frame.drop(columns="day").sort_values("timestamp"))


@dataclass(frozen=True)
class _Items:
    cluster: np.ndarray
    popularity: np.ndarray  # unnormalised long-tail weight
    release_day: np.ndarray


def _items(shape: SyntheticShape, rng: np.random.Generator) -> _Items:
    n = shape.n_items
    popularity = (1.0 + rng.permutation(n)) ** -shape.zipf
    release = np.zeros(n)
    cold = rng.random(n) < shape.cold_share
    release[cold] = rng.uniform(0.85 * shape.days, 0.97 * shape.days, cold.sum())
    return _Items(rng.integers(0, shape.n_clusters, n), popularity, release)


def _choice_weights(
    taste: np.ndarray, items: _Items, day: float, exclude: set[int] | None = None
) -> np.ndarray:
    # A cold item is bought eagerly by those who like its cluster once it is out: its
    # weight is lifted to a mid-popular level, so the structure is there to be found.
    lifted = np.where(items.release_day > 0, np.median(items.popularity) * 4, items.popularity)
    weights = taste[items.cluster] * lifted * (items.release_day <= day)
    if exclude:
        weights[list(exclude)] = 0.0
    return weights


def _draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    size = min(size, int((weights > 0).sum()))
    if size <= 0:
        return np.zeros(0, dtype=np.int64)
    return rng.choice(len(weights), size=size, replace=False, p=weights / weights.sum())


def _ratings(shape: SyntheticShape, items: _Items, rng: np.random.Generator) -> list[tuple]:
    rows: list[tuple] = []
    for user in range(shape.n_users):
        taste = rng.dirichlet(np.full(shape.n_clusters, shape.taste_focus))
        n = max(3, int(rng.lognormal(np.log(shape.mean_items) - 0.5, 1.0)))
        first = rng.uniform(0, shape.days * 0.9)
        last = rng.uniform(first, shape.days)
        days = np.sort(rng.uniform(first, last, n))
        chosen: set[int] = set()
        # Items are chosen in time order so cold items appear only after release.
        for day in days:
            picked = _draw(rng, _choice_weights(taste, items, day, chosen), 1)
            if len(picked):
                chosen.add(int(picked[0]))
                rows.append((f"u{user}", f"i{picked[0]}", day))
    return rows


def _shop(shape: SyntheticShape, items: _Items, rng: np.random.Generator) -> list[tuple]:
    rows: list[tuple] = []
    for user in range(shape.n_users):
        taste = rng.dirichlet(np.full(shape.n_clusters, shape.taste_focus))
        n_orders = 1 + rng.poisson(shape.mean_orders - 1)
        first = rng.uniform(0, shape.days * 0.8)
        days = np.sort(rng.uniform(first, shape.days, n_orders))
        staples = _draw(rng, _choice_weights(taste, items, days[0]), 1 + rng.poisson(3))
        for day in days:
            size = 1 + rng.poisson(shape.basket_size - 1)
            n_repeat = rng.binomial(size, shape.repeat_share)
            basket = set(rng.choice(staples, size=min(n_repeat, len(staples)), replace=False))
            new = _draw(rng, _choice_weights(taste, items, day, basket), size - len(basket))
            basket.update(int(i) for i in new)
            rows.extend((f"c{user}", f"p{item}", day) for item in basket)
    return rows


def write_csv(interactions: Interactions, path: Path | str) -> Path:
    """``user,item,timestamp`` with Unix-second timestamps (what many public files hold)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds = (interactions.timestamps - np.datetime64(0, "s")).astype(np.int64)
    frame = pd.DataFrame(
        {"user": interactions.users, "item": interactions.items, "timestamp": seconds}
    )
    frame.to_csv(path, index=False)
    return path
