"""Baselines every evaluation reports: item-KNN (cosine) and ALS, both from ``implicit``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recsys.base import Recommender
from recsys.interactions import Catalogue, Interactions


class ItemKNN(Recommender):
    """Item-item cosine neighbours, the standard way: ``implicit``'s ``CosineRecommender``.

    Fed binary purchases (1 per customer and item, however often bought): cosine over
    counts lets one wholesale customer's hundred re-orders of an item dominate that
    item's norm and its neighbours, and "bought together" is a question of who bought
    what, not of how many times. ``neighbours`` is implicit's ``K``, which counts the
    item itself (its similarity to itself is 1, so in the "all" view a customer's own
    purchases rank high, as implicit ranks them). Scores are implicit's: the sum over
    the customer's purchases of each purchase's similarity row.
    """

    name = "item_knn"

    def __init__(self, neighbours: int = 100, num_threads: int = 1) -> None:
        self.neighbours = neighbours
        self.num_threads = num_threads

    def _fit(self, interactions: Interactions, catalogue: Catalogue) -> None:
        binary = self.binary_purchases()
        self.model_ = self._implicit_model()
        with warnings.catch_warnings():
            # CosineRecommender.fit normalises into a COO matrix and then warns about
            # its own conversion to CSR; the input we pass is CSR.
            warnings.filterwarnings("ignore", "Method expects CSR input")
            self.model_.fit(binary, show_progress=False)
        self.similarity_ = sp.csr_matrix(self.model_.similarity, dtype=np.float64)
        self._binary = binary

    def _implicit_model(self) -> Any:
        from implicit.nearest_neighbours import CosineRecommender

        return CosineRecommender(K=self.neighbours, num_threads=self.num_threads)

    def binary_purchases(self) -> sp.csr_matrix:
        """Users x items, 1 where the user bought the item: what the model is fed."""
        binary = sp.csr_matrix(self.user_items_ > 0, dtype=np.float64)
        binary.eliminate_zeros()
        return binary

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
