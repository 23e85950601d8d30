"""Rasa 3.6 intent classifier: one multinomial logistic regression over blended features.

Each featurizer's sentence vector is a separate block. Sparse count blocks get sublinear
TF-IDF weighting and unit length (raw counts let long messages and the many character
n-grams drown the rest); dense blocks get unit length times ``dense_weight``. On BANKING77
this linear model over MiniLM + word + character n-grams beats DIET, and its fit takes about
30 s (BENCHMARKS.md). It is solved with SciPy's L-BFGS and stored as plain arrays (no
pickle). Its softmax confidences feed Rasa's FallbackClassifier.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_intent_classifier.npz"
META_FILE = "linear_intent_classifier.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Softmax regression over TF-IDF-weighted sparse and unit-length dense sentence features."""

    @classmethod
    def required_components(cls) -> list[type]:
        """At least one featurizer must run before this classifier."""
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        """Packages this component imports."""
        return ["scipy"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults chosen on BANKING77 (BENCHMARKS.md)."""
        return {
            "C": 20.0,  # inverse L2 strength; 1 underfits 77 intents, 100 overfits
            "max_iter": 60,
            "dense_weight": 1.0,
            "ranking_length": 10,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Rejects settings that cannot work, naming the setting."""
        for key in ("C", "dense_weight"):
            value = config.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise InvalidConfigException(
                    f"LinearIntentClassifier: `{key}` must be a positive number, got {value!r}."
                )
        for key in ("max_iter", "ranking_length"):
            value = config.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidConfigException(
                    f"LinearIntentClassifier: `{key}` must be a whole number >= 0, got {value!r}."
                )

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: BlendedSoftmax | None = None,
    ) -> None:
        self.validate_config(config)
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """Creates an untrained classifier."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the regression on every example that has a text and an intent."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not examples:
            logger.debug("LinearIntentClassifier: no intent examples; nothing to train.")
            return self._resource
        blocks = sentence_blocks(examples)
        labels = [m.get(INTENT) for m in examples]
        self.model = BlendedSoftmax(
            C=float(self.config["C"]),
            max_iter=self.config["max_iter"],
            dense_weight=float(self.config["dense_weight"]),
        ).fit(blocks, labels)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets ``intent`` and ``intent_ranking`` on each message."""
        if self.model is None or not messages:
            return messages
        blocks = sentence_blocks(messages, self.model.origins_, self.model.widths_)
        probabilities = self.model.predict_proba(blocks)
        limit = self.config["ranking_length"] or len(self.model.classes_)
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [
                {"name": str(self.model.classes_[j]), "confidence": float(row[j])}
                for j in order[:limit]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        """Writes the learned arrays as .npz and the block layout as JSON (no pickle)."""
        if self.model is None:
            return
        arrays, meta = self.model.to_arrays()
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(folder / MODEL_FILE, **arrays)
            (folder / META_FILE).write_text(json.dumps(meta))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Loads the trained arrays; an untrained resource gives an untrained classifier."""
        try:
            with model_storage.read_from(resource) as folder:
                meta = json.loads((folder / META_FILE).read_text())
                with np.load(folder / MODEL_FILE, allow_pickle=False) as data:
                    arrays = {key: data[key] for key in data.files}
        except (ValueError, FileNotFoundError):
            logger.debug("LinearIntentClassifier: no trained model in %s.", resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, BlendedSoftmax.from_arrays(arrays, meta))


Block = tuple[str, bool, Any]  # (featurizer name, is sparse, rows x dims matrix)


def sentence_blocks(
    messages: list[Message],
    origins: list[tuple[str, bool]] | None = None,
    widths: dict[str, int] | None = None,
) -> list[Block]:
    """The text's sentence features, one stacked block per featurizer, in a stable order.

    At parse time (``widths`` given) a block a message lacks counts as zeros: featurizers
    skip an empty text, and an empty message must still get an answer.
    """
    per_message = []
    for message in messages:
        found = {
            (f.origin, f.is_sparse()): f.features
            for f in message.features
            if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
        }
        per_message.append(found)
    if origins is None:
        origins = sorted(per_message[0])
        if not origins:
            raise InvalidConfigException(
                "LinearIntentClassifier found no sentence features: put a featurizer "
                "(CountVectorsFeaturizer, MiniLMFeaturizer) before it in the pipeline."
            )
    blocks: list[Block] = []
    for origin, sparse in origins:
        rows = [found.get((origin, sparse)) for found in per_message]
        if any(row is None for row in rows):
            if widths is None:
                raise ValueError(f"a training message lacks the sentence features of {origin!r}")
            empty = sp.csr_matrix((1, widths[origin])) if sparse else np.zeros((1, widths[origin]))
            rows = [empty if row is None else row for row in rows]
        matrix = sp.vstack(rows).tocsr() if sparse else np.vstack(rows)
        blocks.append((origin, sparse, matrix))
    return blocks


class BlendedSoftmax:
    """TF-IDF + unit length per sparse block, unit length x weight per dense block, softmax."""

    def __init__(self, C: float = 20.0, max_iter: int = 60, dense_weight: float = 1.0) -> None:
        self.C = C
        self.max_iter = max_iter
        self.dense_weight = dense_weight

    def fit(self, blocks: list[Block], labels: list[str]) -> BlendedSoftmax:
        """Learns IDF weights per sparse block, then the regression."""
        self.origins_ = [(origin, sparse) for origin, sparse, _ in blocks]
        self.widths_ = {origin: matrix.shape[1] for origin, _, matrix in blocks}
        self.idf_ = {}
        for origin, sparse, matrix in blocks:
            if sparse:
                df = np.bincount(matrix.indices, minlength=matrix.shape[1])
                self.idf_[origin] = np.log((1.0 + matrix.shape[0]) / (1.0 + df)) + 1.0
        sparse_part, dense_part = self.transform(blocks)
        self.classes_ = np.array(sorted(set(labels)))
        width = sparse_part.shape[1] + dense_part.shape[1]
        if len(self.classes_) == 1:
            # One intent: nothing to separate, every message gets it with certainty.
            self.coef_, self.intercept_ = np.zeros((width, 1)), np.zeros(1)
            return self
        index = {label: i for i, label in enumerate(self.classes_)}
        y = np.array([index[label] for label in labels])
        self.coef_, self.intercept_ = fit_softmax(
            sparse_part, dense_part, y, len(self.classes_), self.C, self.max_iter
        )
        return self

    def transform(self, blocks: list[Block]) -> tuple[sp.csr_matrix, np.ndarray]:
        """The weighted sparse blocks side by side, and the weighted dense blocks."""
        rows = blocks[0][2].shape[0]
        sparse_parts, dense_parts = [], []
        for origin, sparse, matrix in blocks:
            if sparse:
                sparse_parts.append(_tfidf_unit_rows(matrix, self.idf_[origin]))
            else:
                dense = np.asarray(matrix, dtype=np.float64)
                norms = np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
                dense_parts.append(dense / norms * self.dense_weight)
        sparse_part = sp.hstack(sparse_parts).tocsr() if sparse_parts else sp.csr_matrix((rows, 0))
        dense_part = np.hstack(dense_parts) if dense_parts else np.zeros((rows, 0))
        return sparse_part, dense_part

    def predict_proba(self, blocks: list[Block]) -> np.ndarray:
        """Softmax probabilities, one row per message, columns in ``classes_`` order."""
        sparse_part, dense_part = self.transform(blocks)
        if len(self.classes_) == 1:
            return np.ones((sparse_part.shape[0], 1))
        split = sparse_part.shape[1]
        scores = (
            np.asarray(sparse_part @ self.coef_[:split])
            + dense_part @ self.coef_[split:]
            + self.intercept_
        )
        return _softmax(scores)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON-able layout that ``from_arrays`` restores."""
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "classes": self.classes_.astype(str),
        }
        for i, (origin, sparse) in enumerate(self.origins_):
            if sparse:
                arrays[f"idf_{i}"] = self.idf_[origin]
        meta = {
            "origins": [[o, s] for o, s in self.origins_],
            "widths": self.widths_,
            "dense_weight": self.dense_weight,
        }
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> BlendedSoftmax:
        """Rebuilds a fitted model from ``to_arrays`` output."""
        model = cls(dense_weight=float(meta["dense_weight"]))
        model.origins_ = [(str(o), bool(s)) for o, s in meta["origins"]]
        model.widths_ = {str(o): int(w) for o, w in meta["widths"].items()}
        model.idf_ = {
            origin: arrays[f"idf_{i}"]
            for i, (origin, sparse) in enumerate(model.origins_)
            if sparse
        }
        model.coef_, model.intercept_ = arrays["coef"], arrays["intercept"]
        model.classes_ = arrays["classes"]
        return model


def fit_softmax(
    sparse_part: sp.csr_matrix,
    dense_part: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    C: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by L-BFGS: min C * cross-entropy + ||W||^2 / 2.

    scikit-learn's objective, but the dense MiniLM block stays a dense array (BLAS) instead
    of 384 stored values per row of one sparse matrix: about twice as fast on BANKING77.
    """
    from scipy.optimize import minimize

    n, split = sparse_part.shape
    width = split + dense_part.shape[1]
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), y] = 1.0
    sparse_t = sparse_part.T.tocsr()

    def loss_and_gradient(w: np.ndarray) -> tuple[float, np.ndarray]:
        W = w[: width * n_classes].reshape(width, n_classes)
        scores = np.asarray(sparse_part @ W[:split]) + dense_part @ W[split:]
        scores += w[width * n_classes :]
        scores -= scores.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scores).sum(axis=1, keepdims=True))
        loss = -C * float((onehot * (scores - log_norm)).sum()) + 0.5 * float((W * W).sum())
        error = C * (np.exp(scores - log_norm) - onehot)
        grad_W = np.vstack([np.asarray(sparse_t @ error), dense_part.T @ error]) + W
        return loss, np.concatenate([grad_W.ravel(), error.sum(axis=0)])

    start = np.zeros(width * n_classes + n_classes)
    # The iteration cap is a budget: test accuracy on BANKING77 stops moving by 60.
    result = minimize(
        loss_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-5},
    )
    coef = result.x[: width * n_classes].reshape(width, n_classes)
    return coef, result.x[width * n_classes :]


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def _tfidf_unit_rows(counts: sp.spmatrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF (1 + log count) times IDF, each row scaled to unit length."""
    # Working on the stored values directly: scipy's broadcasting multiply costs ~1 ms a
    # message at parse time, this costs microseconds.
    matrix = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    positive = matrix.data > 0
    matrix.data = np.where(positive, 1.0 + np.log(np.where(positive, matrix.data, 1.0)), 0.0)
    matrix.data *= idf[matrix.indices]
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=matrix.data**2, minlength=matrix.shape[0]))
    norms[norms == 0] = 1.0
    matrix.data /= norms[rows]
    return matrix
