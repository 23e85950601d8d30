"""User-item interactions and the product catalogue the recommenders are fitted on.

Both are plain containers of numpy arrays with raw ids (whatever the source uses: store
primary keys, CSV strings, Online Retail stock codes); models build their own integer
indices. Loaders for the generic CSV and the UCI Online Retail file live here; the store
loader is in ``recsys/store_data.py``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from store.colours import COLOUR_WORDS


def to_seconds(moment: Any) -> np.datetime64:
    """``moment`` (datetime64, datetime, Timestamp or ISO text) at one-second resolution.

    One function because numpy's type stubs accept fewer inputs than ``np.datetime64``
    does at run time.
    """
    return np.datetime64(moment, "s")


logger = logging.getLogger(__name__)

PURCHASE = "purchase"
COLOURS = tuple(COLOUR_WORDS)  # the words that name a colour (store/colours.py)


class DataError(ValueError):
    """Input data a user supplied is unusable; the message says what and where."""


@dataclass(frozen=True)
class Interactions:
    """Parallel arrays: one row per (user, item, time) event with a weight and a kind."""

    users: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray  # datetime64[s]
    weights: np.ndarray
    baskets: np.ndarray | None = None  # order/invoice id: items bought together
    kinds: np.ndarray | None = None  # "purchase" (default), "view", "add_to_cart", ...

    def __post_init__(self) -> None:
        n = len(self.users)
        for name in ("items", "timestamps", "weights"):
            if len(getattr(self, name)) != n:
                raise DataError(
                    f"interactions: {name} has {len(getattr(self, name))} rows, users {n}"
                )

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Interactions:
        """Build from a frame with columns user, item, timestamp[, weight, basket, kind]."""
        missing = {"user", "item", "timestamp"} - set(frame.columns)
        if missing:
            raise DataError(
                f"interactions need columns user, item, timestamp; missing {sorted(missing)}"
            )
        ts, _ = read_timestamps(frame["timestamp"])
        weights = frame["weight"].to_numpy(float) if "weight" in frame else np.ones(len(frame))
        return cls(
            users=frame["user"].to_numpy(),
            items=frame["item"].to_numpy(),
            timestamps=ts.to_numpy().astype("datetime64[s]"),
            weights=weights,
            baskets=frame["basket"].to_numpy() if "basket" in frame else None,
            kinds=frame["kind"].to_numpy(object) if "kind" in frame else None,
        )

    def to_frame(self) -> pd.DataFrame:
        """The interactions as a frame (for grouping and reporting)."""
        frame = pd.DataFrame(
            {
                "user": self.users,
                "item": self.items,
                "timestamp": self.timestamps,
                "weight": self.weights,
            }
        )
        frame["basket"] = self.baskets if self.baskets is not None else None
        frame["kind"] = self.kinds if self.kinds is not None else PURCHASE
        return frame

    def subset(self, mask: np.ndarray) -> Interactions:
        """The rows where ``mask`` is true."""
        return Interactions(
            users=self.users[mask],
            items=self.items[mask],
            timestamps=self.timestamps[mask],
            weights=self.weights[mask],
            baskets=None if self.baskets is None else self.baskets[mask],
            kinds=None if self.kinds is None else self.kinds[mask],
        )

    def purchases(self) -> Interactions:
        """Only the purchase rows."""
        if self.kinds is None:
            return self
        return self.subset(self.kinds == PURCHASE)

    def before(self, cutoff: np.datetime64) -> Interactions:
        """Rows strictly before ``cutoff``."""
        return self.subset(self.timestamps < to_seconds(cutoff))

    def between(self, start: np.datetime64, end: np.datetime64) -> Interactions:
        """Rows in ``[start, end)``."""
        ts = self.timestamps
        return self.subset((ts >= to_seconds(start)) & (ts < to_seconds(end)))

    @property
    def end(self) -> np.datetime64:
        """The latest timestamp."""
        return self.timestamps.max()

    def to_csr(
        self, user_ids: np.ndarray, item_ids: np.ndarray, *, weights: np.ndarray | None = None
    ) -> sp.csr_matrix:
        """Users x items matrix summing weights; rows/columns follow the given id arrays.

        Rows whose user or item is not in the given ids are dropped.
        """
        rows = index_of(user_ids, self.users)
        cols = index_of(item_ids, self.items)
        keep = (rows >= 0) & (cols >= 0)
        values = self.weights if weights is None else weights
        matrix = sp.csr_matrix(
            (values[keep].astype(np.float64), (rows[keep], cols[keep])),
            shape=(len(user_ids), len(item_ids)),
        )
        matrix.sum_duplicates()
        return matrix

    def fingerprint(self) -> str:
        """A short content hash: same data, same fingerprint."""
        digest = hashlib.sha256()
        for array in (self.users, self.items, self.timestamps.astype(np.int64), self.weights):
            digest.update(
                np.asarray(array).astype(str).tobytes()
                if array.dtype == object
                else array.tobytes()
            )
        return digest.hexdigest()[:16]


def index_of(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in ``ids`` (-1 where absent); ``ids`` need not be sorted."""
    lookup = pd.Index(ids)
    return lookup.get_indexer(values)


@dataclass(frozen=True)
class Catalogue:
    """The items a recommender may return, with the text and facts search and reasons need."""

    item_ids: np.ndarray
    titles: np.ndarray
    descriptions: np.ndarray
    categories: np.ndarray
    colours: np.ndarray
    prices: np.ndarray
    stock: np.ndarray | None = None  # None: stock unknown, nothing is filtered
    # Unit-norm text embeddings, one row per item (attached by recsys.embeddings).
    embeddings: np.ndarray | None = field(default=None, repr=False, compare=False)
    _position: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.item_ids.tolist())) != len(self.item_ids):
            raise DataError("catalogue: item ids must be unique")
        self._position.update({item: i for i, item in enumerate(self.item_ids.tolist())})

    def __len__(self) -> int:
        return len(self.item_ids)

    @classmethod
    def bare(cls, item_ids: np.ndarray) -> Catalogue:
        """A catalogue that knows only ids (for interaction files without product data)."""
        ids = np.asarray(item_ids)
        n = len(ids)
        text = np.array([str(i) for i in ids], dtype=object)
        blank = np.full(n, "", dtype=object)
        return cls(ids, text, blank, blank.copy(), blank.copy(), np.full(n, np.nan))

    def position(self, item_id: object) -> int:
        """Column of ``item_id``; raises KeyError naming the unknown id."""
        try:
            return self._position[item_id]
        except KeyError:
            raise KeyError(f"item {item_id!r} is not in the catalogue") from None

    def positions(self, item_ids: np.ndarray) -> np.ndarray:
        """Columns of many ids (-1 where absent)."""
        return index_of(self.item_ids, np.asarray(item_ids))

    def in_stock(self) -> np.ndarray:
        """Boolean mask of items that may be offered."""
        if self.stock is None:
            return np.ones(len(self), dtype=bool)
        return self.stock > 0

    def texts(self) -> list[str]:
        """Title and description, the text the content model embeds."""
        return [
            f"{t}. {d}".strip(". ") if d else str(t)
            for t, d in zip(self.titles, self.descriptions, strict=False)
        ]

    def text_fingerprint(self) -> str:
        """Hash of the catalogue text (keys the embedding cache)."""
        digest = hashlib.sha256()
        for item, text in zip(self.item_ids.tolist(), self.texts(), strict=False):
            digest.update(f"{item}\x1f{text}\x1e".encode())
        return digest.hexdigest()[:16]


# A numeric timestamp column is Unix time in the unit whose range its values fall in:
# seconds up to 1e11 (the year 5138), then milliseconds, microseconds, nanoseconds.
UNIX_UNITS = ((1e11, "s", "Unix seconds"), (1e14, "ms", "Unix milliseconds"),
              (1e17, "us", "Unix microseconds"), (float("inf"), "ns", "Unix nanoseconds"))  # fmt: skip


def read_timestamps(column: pd.Series) -> tuple[pd.Series, str]:
    """The column as datetimes and how it was read: ISO dates, or Unix time in seconds,
    milliseconds, microseconds or nanoseconds (detected from the values' size).

    Raises DataError naming the column, the first bad value and its row.
    """
    name = column.name
    if pd.api.types.is_bool_dtype(column):
        raise DataError(f"column {name!r} holds true/false values, not times")
    if pd.api.types.is_numeric_dtype(column):
        values = column.astype(float)
        bad = ~np.isfinite(values.to_numpy()) | (values.to_numpy() < 0)
        if bad.any():
            row = int(bad.argmax())
            raise DataError(
                f"column {name!r}: {column.iloc[row]} (row {row + 1}) is not a Unix time"
            )
        size = float(values.abs().median()) if len(values) else 0.0
        unit, said = next((u, s) for limit, u, s in UNIX_UNITS if size < limit)
        return pd.to_datetime(values, unit=unit), said
    times = pd.to_datetime(column, errors="coerce", format="mixed", utc=True)
    if times.isna().any():
        row = int(times.isna().to_numpy().argmax())
        raise DataError(
            f"column {name!r}: unreadable timestamp {column.iloc[row]!r} (row {row + 1}); "
            "use ISO dates (2024-03-01 or 2024-03-01T12:30:00) or Unix seconds or milliseconds"
        )
    return times.dt.tz_localize(None), "ISO dates"


def read_interactions_csv(path: Path | str) -> Interactions:
    """Read a generic ``user,item,timestamp[,weight]`` CSV file (header required).

    Logs how the timestamps were read (ISO dates or Unix seconds / milliseconds).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"interactions file {path} does not exist")
    frame = pd.read_csv(path, dtype={"user": str, "item": str})
    if frame.empty:
        raise DataError(f"interactions file {path} has no rows")
    frame.columns = [c.strip().lower() for c in frame.columns]
    if "timestamp" in frame:
        frame["timestamp"], said = read_timestamps(frame["timestamp"])
        logger.info("%s: timestamps read as %s", path.name, said)
    return Interactions.from_frame(frame)


def read_online_retail(path: Path | str) -> tuple[Interactions, Catalogue]:
    """Read the UCI Online Retail file: purchases of known customers and the catalogue.

    Cancellations (``C`` invoices), non-positive quantities or prices, guest lines and
    non-product codes (postage, bank charges, manual adjustments) are dropped.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"Online Retail file {path} does not exist")
    frame = pd.read_csv(
        path,
        dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "CustomerID": "Int64"},
    )
    frame = frame[
        ~frame["InvoiceNo"].str.startswith("C")
        & (frame["Quantity"] > 0)
        & (frame["UnitPrice"] > 0)
        & frame["CustomerID"].notna()
        & frame["StockCode"].str.match(r"^\d{5}")  # product codes start with 5 digits
    ].copy()
    frame["StockCode"] = frame["StockCode"].str.upper()
    frame["Description"] = frame["Description"].fillna("").str.strip()
    interactions = Interactions(
        users=frame["CustomerID"].astype(np.int64).to_numpy(),
        items=frame["StockCode"].to_numpy(object),
        timestamps=pd.to_datetime(frame["InvoiceDate"]).to_numpy().astype("datetime64[s]"),
        # Retail quantities are wildly skewed (1 vs 4,800): log damping keeps one bulk
        # order from dominating an item's signal.
        weights=np.log1p(frame["Quantity"].to_numpy(float)),
        baskets=frame["InvoiceNo"].to_numpy(object),
    )
    return interactions, _online_retail_catalogue(frame)


def _online_retail_catalogue(frame: pd.DataFrame) -> Catalogue:
    grouped = frame.groupby("StockCode")
    titles = grouped["Description"].agg(lambda s: s.value_counts().index[0] if len(s) else "")
    prices = grouped["UnitPrice"].median()
    titles = titles.where(titles != "", titles.index.to_series())
    # The file has no categories: the last word of the title is the product type
    # ("... T-LIGHT HOLDER" -> "holder"), which is what a shopper would call it.
    categories = titles.str.lower().str.split().str[-1].fillna("")
    colours = titles.str.lower().map(colour_in)
    return Catalogue(
        item_ids=titles.index.to_numpy(object),
        titles=titles.str.title().to_numpy(object),
        descriptions=np.full(len(titles), "", dtype=object),
        categories=categories.to_numpy(object),
        colours=colours.to_numpy(object),
        prices=prices.reindex(titles.index).to_numpy(float),
    )


def colour_in(text: str) -> str:
    """The first colour word in ``text`` ('' if none)."""
    for word in text.lower().replace(",", " ").split():
        if word in COLOUR_WORDS:
            return COLOUR_WORDS[word]
    return ""


@dataclass(frozen=True)
class Split:
    """Training rows, the held-out rows, and the time the split was made at."""

    train: Interactions
    test: Interactions
    cutoff: np.datetime64
    kind: str


def temporal_split(
    interactions: Interactions, *, test_days: int = 30, cutoff: np.datetime64 | None = None
) -> Split:
    """Train on everything before the cut-off; test on the purchases in the next ``test_days``.

    The default cut-off is ``test_days`` before the last interaction.
    """
    if len(interactions) == 0:
        raise DataError("cannot split an empty set of interactions")
    end = interactions.end + np.timedelta64(1, "s")
    if cutoff is None:
        cutoff = end - np.timedelta64(test_days, "D")
    cutoff = to_seconds(cutoff)
    train = interactions.before(cutoff)
    test = interactions.between(cutoff, cutoff + np.timedelta64(test_days, "D")).purchases()
    if len(train) == 0 or len(test) == 0:
        raise DataError(f"temporal split at {cutoff} leaves an empty train or test period")
    return Split(train, test, cutoff, "temporal")


def random_split(interactions: Interactions, *, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out a random ``test_fraction`` of each user's purchased items (users with 2+ items).

    All rows of a held-out (user, item) pair go to the test set, so an item is never
    both "history" and "answer" for the same user.
    """
    if not 0 < test_fraction < 1:
        raise DataError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    frame = interactions.to_frame()
    purchases = frame[frame["kind"] == PURCHASE]
    pairs = purchases[["user", "item"]].drop_duplicates()
    pairs = pairs.assign(r=rng.random(len(pairs)))
    pairs["rank"] = pairs.groupby("user")["r"].rank(method="first")
    pairs["n"] = pairs.groupby("user")["item"].transform("size")
    n_test = np.floor(pairs["n"] * test_fraction).clip(lower=(pairs["n"] >= 2).astype(int))
    held = pairs[pairs["rank"] <= n_test]
    key = pd.MultiIndex.from_frame(frame[["user", "item"]])
    in_test = np.asarray(key.isin(pd.MultiIndex.from_frame(held[["user", "item"]])))
    test = interactions.subset(in_test).purchases()
    return Split(interactions.subset(~in_test), test, interactions.end, "random")
