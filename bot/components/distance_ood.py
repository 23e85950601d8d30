"""Out-of-distribution score: how far a message lies from every training example.

A softmax always spreads its whole mass over the intents it knows, so a message about
something nobody wrote down can still get a confident intent; on BANKING77 with held-out
intents the classifier's confidence alone misses most of them (BENCHMARKS.md, "Out of
scope that generalises"). The distance of the message's frozen MiniLM embedding to its
k-th nearest training example (Sun et al. 2022, "Out-of-distribution detection with deep
nearest neighbors") does not depend on the classifier and is high exactly there.

The threshold comes from the training data alone: a seeded, per-intent split is held back,
its distances to the rest are measured, and the threshold is the distance that
``in_scope_quantile`` of those in-scope messages stay under. Nothing out of scope and no
test message is needed to set it, and it moves with the data when intents are added.

This module is plain NumPy so it can be unit-tested and reused by benchmarks; the Rasa
component that applies it is ``bot.components.out_of_distribution``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

import numpy as np


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32 to halve the memory."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def knn_distance(queries: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """Cosine distance (1 - similarity) of each unit-length query to its k-th nearest reference.

    ``k`` above 1 asks more training examples to vouch for a message; on BANKING77 the
    nearest one alone separated unseen intents best. ``k`` is capped at the reference size.
    """
    if reference.shape[0] == 0:
        return np.ones(queries.shape[0], dtype=np.float64)
    k = max(1, min(k, reference.shape[0]))
    distances = np.empty(queries.shape[0], dtype=np.float64)
    # In chunks: 1,000 queries x 10,000 references is 40 MB of similarities at a time.
    for start in range(0, queries.shape[0], 1000):
        similarity = queries[start : start + 1000] @ reference.T
        kth = np.partition(similarity, -k, axis=1)[:, -k]
        distances[start : start + 1000] = 1.0 - kth
    return distances


def validation_split(
    labels: Sequence[str], fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices to fit on and to validate on: ``fraction`` of each intent with 3+ examples."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    fit: list[int] = []
    held: list[int] = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        # An intent with one or two examples has nothing to spare for validation.
        n = max(1, round(len(group) * fraction)) if len(group) >= 3 else 0
        held += group[:n]
        fit += group[n:]
    return np.array(sorted(fit), dtype=int), np.array(sorted(held), dtype=int)


class NearestNeighbourDistance:
    """k-NN cosine distance to the training embeddings, with a threshold set on validation."""

    def __init__(
        self,
        k: int = 1,
        in_scope_quantile: float = 0.97,
        validation_fraction: float = 0.1,
        seed: int = 0,
    ) -> None:
        self.k = k
        self.in_scope_quantile = in_scope_quantile
        self.validation_fraction = validation_fraction
        self.seed = seed

    def fit(self, embeddings: np.ndarray, labels: Sequence[str]) -> NearestNeighbourDistance:
        """Chooses the threshold on a held-back split, then keeps every example as reference."""
        vectors = unit_rows(embeddings)
        fit, held = validation_split(labels, self.validation_fraction, self.seed)
        if len(held) and len(fit):
            self.validation_distances_ = knn_distance(vectors[held], vectors[fit], self.k)
            self.threshold_ = float(np.quantile(self.validation_distances_, self.in_scope_quantile))
        else:
            # Too little data to validate anything: a threshold nothing exceeds.
            self.validation_distances_ = np.zeros(0)
            self.threshold_ = 2.0
        self.reference_ = vectors
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """Distance of each message to the training data; higher is further from it."""
        return knn_distance(unit_rows(embeddings), self.reference_, self.k)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays that ``from_arrays`` restores (no pickle)."""
        return {
            "reference": self.reference_,
            "threshold": np.array(self.threshold_),
            "k": np.array(self.k),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> NearestNeighbourDistance:
        """Rebuilds a fitted score from ``to_arrays`` output."""
        model = cls(k=int(arrays["k"]))
        model.reference_ = np.asarray(arrays["reference"], dtype=np.float32)
        model.threshold_ = float(arrays["threshold"])
        return model
