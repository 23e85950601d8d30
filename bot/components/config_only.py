"""Base of the Rasa 3.6 components that are their configuration and nothing else.

Such a component trains nothing, persists nothing and loads nothing: Rasa builds it at
training and at parse time from the pipeline's settings alone.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from typing_extensions import Self


class ConfigOnlyComponent(GraphComponent):
    """``create`` builds the component from its configuration: ``cls(config)``."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Self:
        """Build from the pipeline's configuration (nothing to train or load)."""
        return cls(config)
