"""Putting the hybrid's component scores on one scale before they are blended.

Raw scores of different components live on different scales, and the scales move with
the data set: EASE scores are heavy-tailed on shop data and flat on ratings data, and a
popularity score is the same for everyone. Two scalings, chosen per data set by tuning:

* ``max``: each user's row divided by its maximum (the top item of every component is 1,
  the rest keep their raw proportions). Keeps a component's confidence: a clear winner
  stays far ahead of the runner-up.
* ``rank``: each user's row replaced by reciprocal-rank weights ``(c + 1) / (c + rank)``
  over its positive entries (rank 1 = highest; weighted reciprocal-rank fusion, Cormack
  et al. 2009). Blind to the raw scale, so a component whose scores are flat on one data
  set and peaked on another weighs the same in both.

Entries of zero or less (nothing bought, no co-purchase) stay 0 in both.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.base import row_normalise

FUSIONS = ("max", "rank")


def rank_scores(matrix: np.ndarray, offset: float) -> np.ndarray:
    """Row-wise ``(offset + 1) / (offset + rank)`` of the positive entries, 0 elsewhere."""
    order = np.argsort(-matrix, axis=1, kind="stable")
    ranks = np.empty(matrix.shape, dtype=np.float32)
    positions = np.broadcast_to(np.arange(1, matrix.shape[1] + 1, dtype=np.float32), matrix.shape)
    np.put_along_axis(ranks, order, positions, axis=1)
    return np.where(matrix > 0, (offset + 1.0) / (offset + ranks), 0.0).astype(np.float32)


def scale(matrix: np.ndarray, fusion: str, offset: float) -> np.ndarray:
    """One component's users x items scores on the blending scale of ``fusion``."""
    if fusion == "max":
        return row_normalise(matrix)
    if fusion == "rank":
        return rank_scores(matrix, offset)
    raise ValueError(f"fusion must be one of {FUSIONS}, not {fusion!r}")


def repeat_signal(normalised: np.ndarray, floor: float) -> np.ndarray:
    """Lift every bought-before item to at least ``floor``, the rest by decayed frequency.

    ``floor`` near 1 says "anything bought before is likely again" (strong in
    wholesale-like shops); 0 lets frequency alone decide.
    """
    return np.where(normalised > 0, floor + (1.0 - floor) * normalised, 0.0)


def cosine_neighbours(gram: np.ndarray, neighbours: int) -> sp.csr_matrix:
    """Item-item cosine similarity from a Gram matrix, the ``neighbours`` largest per column.

    Diagonal left out (an item is no evidence for itself); float32 CSR, so serving reads
    one row per history item.
    """
    norms = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    norms[norms == 0] = 1.0
    sim = gram / norms[:, None] / norms[None, :]
    np.fill_diagonal(sim, 0.0)
    n = sim.shape[0]
    k = min(neighbours, max(n - 1, 1))
    rows = np.argpartition(-sim, k - 1, axis=0)[:k] if n > 1 else np.zeros((0, n), np.int64)
    values = np.take_along_axis(sim, rows, axis=0)
    cols = np.broadcast_to(np.arange(n), rows.shape)
    keep = values > 0
    out = sp.csr_matrix((values[keep], (rows[keep], cols[keep])), shape=(n, n), dtype=np.float32)
    out.sort_indices()
    return out
