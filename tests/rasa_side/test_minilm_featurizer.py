"""MiniLMFeaturizer as Rasa runs it: created through the GraphComponent API, after a tokenizer."""

import numpy as np
import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.minilm_encoder import MiniLMEncoder
from bot.components.minilm_featurizer import MiniLMFeaturizer


def make(config, model_storage, resource, context):
    full = {**MiniLMFeaturizer.get_default_config(), **config}
    return MiniLMFeaturizer.create(full, model_storage, resource, context)


def tokenized(*texts):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    return tokenizer.process([Message(data={TEXT: t}) for t in texts])


def test_each_message_gets_one_384_wide_sentence_feature(model_storage, resource, context):
    featurizer = make({}, model_storage, resource, context)
    (message,) = featurizer.process(tokenized("where is my order 10234"))
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None
    assert sentence.features.shape == (1, 384)
    assert [f.origin for f in message.features] == ["test_node"]


def test_sentence_feature_is_the_encoders_embedding(model_storage, resource, context):
    featurizer = make({}, model_storage, resource, context)
    (message,) = featurizer.process(tokenized("I want to return my mug"))
    expected = MiniLMEncoder().encode(["I want to return my mug"])[0]
    assert np.allclose(message.get_dense_features(TEXT)[1].features[0], expected, atol=1e-5)


def test_training_data_is_featurised_in_batches_with_the_same_result(
    model_storage, resource, context
):
    featurizer = make({"batch_size": 2}, model_storage, resource, context)
    texts = ["hi", "cancel order 10234 please", "is the lamp in stock", "thanks, bye"]
    data = TrainingData(training_examples=tokenized(*texts))
    featurizer.process_training_data(data)
    (single,) = featurizer.process(tokenized(texts[1]))
    batched = data.training_examples[1].get_dense_features(TEXT)[1].features
    assert np.allclose(batched, single.get_dense_features(TEXT)[1].features, atol=1e-5)


def test_sequence_features_give_one_vector_per_rasa_token(model_storage, resource, context):
    featurizer = make({"sequence_features": True}, model_storage, resource, context)
    (message,) = featurizer.process(tokenized("Unbelievably slow delivery"))
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence.features.shape == (3, 384)
    assert np.all(np.abs(sequence.features).sum(axis=1) > 0)


def test_tokens_beyond_the_truncation_point_get_zero_vectors(model_storage, resource, context):
    featurizer = make(
        {"sequence_features": True, "max_length": 8}, model_storage, resource, context
    )
    (message,) = featurizer.process(tokenized("one two three four five six seven eight nine"))
    vectors = message.get_dense_features(TEXT)[0].features
    assert vectors.shape == (9, 384)
    assert np.abs(vectors[:6]).sum(axis=1).min() > 0  # 8 pieces = [CLS] + 6 words + [SEP]
    assert np.abs(vectors[6:]).sum() == 0


def test_a_20000_character_message_is_featurised(model_storage, resource, context):
    featurizer = make({}, model_storage, resource, context)
    (message,) = featurizer.process(tokenized("where is my order " * 1200))
    assert np.isfinite(message.get_dense_features(TEXT)[1].features).all()


@pytest.mark.parametrize(
    "config, named",
    [
        ({"max_length": 1000}, "max_length"),
        ({"batch_size": 0}, "batch_size"),
        ({"model_path": "/nonexistent/minilm"}, "/nonexistent/minilm"),
    ],
)
def test_unusable_settings_are_refused_by_name(config, named, model_storage, resource, context):
    with pytest.raises(InvalidConfigException, match=named):
        make(config, model_storage, resource, context)
