"""What a serving process (the action server) loads once at start: models and their versions.

``load_models`` never raises: a missing or unreadable artifact is recorded in
``problems`` (with the reason, for the log) and that model is ``None``, so the caller
can fall back (popularity from the store, or "I can't recommend right now").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recsys.artifacts import ArtifactError, load_artifact
from recsys.search import SemanticSearch
from recsys.served import ServedRecommender

log = logging.getLogger(__name__)


@dataclass
class LoadedModels:
    """The serving models (None where loading failed), their versions and what went wrong."""

    recommender: ServedRecommender | None = None
    search: SemanticSearch | None = None
    versions: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """True when both the recommender and the search index loaded."""
        return self.recommender is not None and self.search is not None


def _load(artifacts_dir: Path, name: str, expected: type, models: LoadedModels) -> Any:
    try:
        model, meta = load_artifact(artifacts_dir, name)
    except ArtifactError as exc:
        models.problems[name] = str(exc)
        log.warning("recsys: %s not loaded: %s", name, exc)
        return None
    if not isinstance(model, expected):
        models.problems[name] = f"artifact {name} {meta.version} holds a {type(model).__name__}"
        log.warning("recsys: %s", models.problems[name])
        return None
    models.versions[name] = meta.version
    log.info("recsys: loaded %s %s (trained %s on data %s)", name, meta.version, meta.created_at,
             meta.data_fingerprint)  # fmt: skip
    return model


def load_models(artifacts_dir: Path) -> LoadedModels:
    """Load the latest recommender (whichever ``ServedRecommender`` training chose) and
    search index from ``artifacts_dir``."""
    models = LoadedModels()
    models.recommender = _load(Path(artifacts_dir), "recommender", ServedRecommender, models)
    models.search = _load(Path(artifacts_dir), "search", SemanticSearch, models)
    return models
