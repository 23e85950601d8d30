"""The recommenders a shop can serve, by the name the ``CONCIERGE_RECOMMENDER`` setting uses.

Only names, so the settings can check the value without importing the models
(``recsys.registry`` builds them).
"""

from __future__ import annotations

DEFAULT_RECOMMENDER = "hybrid"
RECOMMENDER_NAMES: tuple[str, ...] = (
    "hybrid",
    "ease",
    "item_knn",
    "tifu_knn",
    "personal_popularity",
    "popularity",
)
