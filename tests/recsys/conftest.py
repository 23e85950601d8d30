"""Small generated data sets with known structure for the recsys tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from recsys.interactions import Catalogue, Interactions

START = np.datetime64("2024-01-01T00:00:00", "s")
N_ITEMS = 30


def make_catalogue(stock: np.ndarray | None = None) -> Catalogue:
    """30 products in 3 categories; item i's title is ``Item i``."""
    ids = np.arange(N_ITEMS)
    categories = np.array(["lamps", "mugs", "cushions"] * 10, dtype=object)
    return Catalogue(
        item_ids=ids,
        titles=np.array([f"Item {i}" for i in ids], dtype=object),
        descriptions=np.full(N_ITEMS, "", dtype=object),
        categories=categories,
        colours=np.array(["red", "blue", "white"] * 10, dtype=object),
        prices=np.linspace(5, 50, N_ITEMS),
        stock=stock,
    )


def planted_pairs(n_users: int = 300, seed: int = 0) -> Interactions:
    """Users buy random items; whoever buys item 2k also buys item 2k+1 a day later.

    Items 0..9 form 5 such pairs; items 10..29 are noise bought independently.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        day = int(rng.integers(0, 150))
        for _ in range(int(rng.integers(1, 3))):
            pair = int(rng.integers(0, 5))
            rows.append((user, 2 * pair, day))
            rows.append((user, 2 * pair + 1, day + 1))
        for item in rng.choice(np.arange(10, N_ITEMS), size=int(rng.integers(1, 4)), replace=False):
            rows.append((user, int(item), int(rng.integers(0, 170))))
    frame = pd.DataFrame(rows, columns=["user", "item", "day"])
    frame["timestamp"] = START + frame["day"].to_numpy() * np.timedelta64(1, "D")
    return Interactions.from_frame(frame.drop(columns="day"))


@pytest.fixture(scope="session", autouse=True)
def single_threaded():
    """One thread per native pool: the CPU is shared, and OpenMP spinning on a busy
    machine makes small fits 20x slower than running them on one core."""
    with threadpool_limits(1):
        yield


@pytest.fixture
def catalogue() -> Catalogue:
    return make_catalogue()


@pytest.fixture
def pairs() -> Interactions:
    return planted_pairs()


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 from its package, loaded once for the whole run."""
    from recsys.embeddings import TextEmbedder

    return TextEmbedder()
