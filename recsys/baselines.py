"""Baselines every evaluation reports: item-KNN (cosine) and ALS from ``implicit``."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recsys.base import Recommender
from recsys.interactions import Catalogue, Interactions


def keep_top_per_column(sim: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest entries of each column of a similarity matrix."""
    sim = sp.csc_matrix(sim)
    data, indices, indptr = [], [], [0]
    for j in range(sim.shape[1]):
        start, end = sim.indptr[j], sim.indptr[j + 1]
        values, rows = sim.data[start:end], sim.indices[start:end]
        if len(values) > k:
            best = np.argpartition(-values, k - 1)[:k]
            values, rows = values[best], rows[best]
        data.append(values)
        indices.append(rows)
        indptr.append(indptr[-1] + len(values))
    out = sp.csc_matrix(
        (np.concatenate(data) if data else [], np.concatenate(indices) if indices else [], indptr),
        shape=sim.shape,
    )
    return out.tocsr()


class ItemKNN(Recommender):
    """Item-item cosine similarity on binary purchases, ``neighbours`` kept per item."""

    name = "item_knn"

    def __init__(self, neighbours: int = 100) -> None:
        self.neighbours = neighbours

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        binary = (self.user_items_ > 0).astype(np.float64)
        norms = np.sqrt(np.asarray(binary.sum(axis=0)).ravel())
        norms[norms == 0] = 1.0
        cooc = (binary.T @ binary).tocsr()
        cooc.setdiag(0)
        cooc.eliminate_zeros()
        inv = sp.diags(1.0 / norms)
        self.similarity_ = keep_top_per_column(inv @ cooc @ inv, self.neighbours)
        self._binary = binary

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray((self._binary[rows] @ self.similarity_).todense())


class ALS(Recommender):
    """Implicit-feedback matrix factorisation (Hu, Koren & Volinsky) via ``implicit``."""

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        random_state: int = 0,
        num_threads: int = 2,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        # implicit runs its own threads; a second BLAS thread pool underneath slows it
        # down (and implicit warns about it when the model is built).
        with threadpool_limits(1, "blas"):
            model = self._fit_model(AlternatingLeastSquares)
        self.user_factors_ = np.asarray(model.user_factors)
        self.item_factors_ = np.asarray(model.item_factors)

    def _fit_model(self, als_class: type) -> Any:
        model = als_class(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.random_state,
            num_threads=self.num_threads,
            calculate_training_loss=False,
        )
        confidence = self.user_items_.copy()
        confidence.data = np.log1p(confidence.data)
        model.fit(confidence.astype(np.float32).tocsr(), show_progress=False)
        return model

    def _score_known(self, rows: np.ndarray) -> np.ndarray:
        return self.user_factors_[rows] @ self.item_factors_.T
