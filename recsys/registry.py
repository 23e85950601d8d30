"""Build the recommender a shop chose (``CONCIERGE_RECOMMENDER``), unfitted.

Every entry is a :class:`recsys.served.ServedRecommender`: the hybrid natively, the
offline models through :class:`recsys.served.ServedModel`, so training fits whichever one
the setting names and serving answers with it unchanged. To offer a new model: write it as
a ``recsys.base.Recommender`` (``_fit`` and ``_score_known``), add its name to
``recsys.names.RECOMMENDER_NAMES`` and a line to ``_BUILDERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recsys.baselines import ItemKNN
from recsys.ease import EASE
from recsys.hybrid import Hybrid
from recsys.names import RECOMMENDER_NAMES
from recsys.popularity import PersonalPopularity, Popularity
from recsys.served import ServedModel, ServedRecommender
from recsys.tifu import TIFUKNN

_BUILDERS: dict[str, Callable[..., ServedRecommender]] = {
    "hybrid": Hybrid,
    "ease": lambda **params: ServedModel(EASE(**params)),
    "item_knn": lambda **params: ServedModel(ItemKNN(**params)),
    "tifu_knn": lambda **params: ServedModel(TIFUKNN(**params)),
    "personal_popularity": lambda **params: ServedModel(PersonalPopularity(**params)),
    "popularity": lambda **params: ServedModel(Popularity(**params)),
}
assert tuple(_BUILDERS) == RECOMMENDER_NAMES, "recsys.names and the builders disagree"


def build_recommender(name: str, **params: Any) -> ServedRecommender:
    """An unfitted recommender by its setting's name, with the model's own parameters."""
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise ValueError(
            f"unknown recommender {name!r}; choose one of {', '.join(RECOMMENDER_NAMES)}"
        ) from None
    return builder(**params)
