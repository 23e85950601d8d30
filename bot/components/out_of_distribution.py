"""Rasa 3.6 component: rejects messages far from everything the bot was trained on.

It sits after the intent classifier and the entity extractors, before FallbackClassifier.
Every message gets ``out_of_distribution`` in the parse result: its k-NN distance to the
training examples' dense sentence features (MiniLM), the threshold learned on a validation
split of the training data (``bot.components.distance_ood``), whether it was rejected, and
the classifier's own best intent. A rejected message gets ``intent`` (default
``out_of_scope``) with confidence 1.0, put first in the ranking the way Rasa's
FallbackClassifier puts ``nlu_fallback``; the classifier's ranking follows, unchanged.

Why out_of_scope and not nlu_fallback: far from every training example means the bot was
not built for it, and the bot answers out_of_scope with what it cannot do and a human
offered. The two-stage "Did you mean …?" of nlu_fallback is for messages near two intents
the classifier cannot tell apart; suggesting the nearest intent for a message near none of
them would offer a customer something unrelated. When the training data has no such
intent (a benchmark), the rejection is ``nlu_fallback``.

A message with an entity (an order number, a product, an e-mail) is never rejected: it is
about the shop by definition, and a bare "18992" typed into a form must fill its slot.
Without rejection the classifier's intent and ranking are left exactly as they were.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.distance_ood import NearestNeighbourDistance

logger = logging.getLogger(__name__)

MODEL_FILE = "out_of_distribution.npz"
META_FILE = "out_of_distribution.json"
OUTPUT_KEY = "out_of_distribution"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class OutOfDistributionRejector(GraphComponent, IntentClassifier):
    """k-NN distance on dense sentence features; rejects beyond a validation threshold."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Dense sentence features must exist. (It also needs a classifier before it at
        parse time, but Rasa checks requirements on the training graph too, where a
        classifier's training node is no ancestor of this one.)"""
        return [DenseFeaturizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults measured on BANKING77 and the bot's data with held-out intents."""
        return {
            # Nearest neighbour: on BANKING77 with 10 intents held out, AUROC 0.890 at k=1,
            # 0.875 at k=5, 0.853 at k=10; Mahalanobis to intent means 0.799.
            "k": 1,
            # Share of in-scope validation messages the threshold keeps (not rejected).
            "in_scope_quantile": 0.97,
            "validation_fraction": 0.1,
            "seed": 0,
            # False: only report the score (benchmarks choose their own thresholds).
            "reject": True,
            "intent": "out_of_scope",
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Rejects settings that cannot work, naming the setting."""
        k = config.get("k")
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InvalidConfigException(
                f"OutOfDistributionRejector: `k` must be a whole number >= 1, got {k!r}."
            )
        for key in ("in_scope_quantile", "validation_fraction"):
            value = config.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1:
                raise InvalidConfigException(
                    f"OutOfDistributionRejector: `{key}` must lie between 0 and 1, got {value!r}."
                )

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: NearestNeighbourDistance | None = None,
        intents: list[str] | None = None,
    ) -> None:
        self.validate_config(config)
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.intents = intents or []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OutOfDistributionRejector:
        """Creates an untrained component."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Keeps the training embeddings and sets the threshold on a held-back split."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not examples:
            return self._resource
        self.model = NearestNeighbourDistance(
            k=self.config["k"],
            in_scope_quantile=float(self.config["in_scope_quantile"]),
            validation_fraction=float(self.config["validation_fraction"]),
            seed=int(self.config["seed"]),
        ).fit(dense_sentence_features(examples), [m.get(INTENT) for m in examples])
        self.intents = sorted({m.get(INTENT) for m in examples})
        logger.info(
            "OutOfDistributionRejector: threshold %.4f from %d validation messages.",
            self.model.threshold_,
            len(self.model.validation_distances_),
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the score to every message and rejects those beyond the threshold."""
        if self.model is None or not messages:
            return messages
        scores = self.model.score(dense_sentence_features(messages))
        for message, distance in zip(messages, scores, strict=True):
            self._judge(message, float(distance))
        return messages

    def _judge(self, message: Message, distance: float) -> None:
        assert self.model is not None
        predicted = message.get(INTENT) or {}
        far = distance > self.model.threshold_
        rejected = bool(self.config["reject"] and far and not message.get(ENTITIES))
        message.set(
            OUTPUT_KEY,
            {
                "distance": distance,
                "threshold": self.model.threshold_,
                "rejected": rejected,
                "classifier_intent": dict(predicted),
            },
            add_to_output=True,
        )
        if not rejected:
            return
        name = self.config["intent"]
        if name not in self.intents:
            name = DEFAULT_NLU_FALLBACK_INTENT_NAME
        verdict = {"name": name, "confidence": 1.0}
        ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != name]
        message.set(INTENT, verdict, add_to_output=True)
        message.set("intent_ranking", [verdict, *ranking], add_to_output=True)

    def persist(self) -> None:
        """Writes the reference embeddings and threshold as .npz, the intents as JSON."""
        if self.model is None:
            return
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(folder / MODEL_FILE, **self.model.to_arrays())
            (folder / META_FILE).write_text(json.dumps({"intents": self.intents}))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OutOfDistributionRejector:
        """Loads the trained arrays; an untrained resource gives a component that passes through."""
        try:
            with model_storage.read_from(resource) as folder:
                intents = json.loads((folder / META_FILE).read_text())["intents"]
                with np.load(folder / MODEL_FILE, allow_pickle=False) as data:
                    arrays = {key: data[key] for key in data.files}
        except (ValueError, FileNotFoundError):
            logger.debug("OutOfDistributionRejector: no trained model in %s.", resource.name)
            return cls(config, model_storage, resource)
        model = NearestNeighbourDistance.from_arrays(arrays)
        return cls(config, model_storage, resource, model, intents)


def dense_sentence_features(messages: list[Message]) -> np.ndarray:
    """Each message's dense sentence features of its text, blocks side by side.

    A message without them (an empty text) gets zeros: distance 1 from everything.
    """
    rows: list[np.ndarray | None] = []
    for message in messages:
        found = sorted(
            (f.origin, np.asarray(f.features, dtype=np.float32).reshape(-1))
            for f in message.features
            if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE and not f.is_sparse()
        )
        rows.append(np.concatenate([v for _, v in found]) if found else None)
    width = max((len(r) for r in rows if r is not None), default=0)
    if width == 0:
        raise InvalidConfigException(
            "OutOfDistributionRejector found no dense sentence features: put a dense "
            "featurizer (MiniLMFeaturizer) before it in the pipeline."
        )
    return np.vstack([np.zeros(width, dtype=np.float32) if r is None else r for r in rows])
