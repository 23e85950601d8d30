"""LinearIntentClassifier trained on real Rasa features, persisted and loaded back."""

import numpy as np
import pytest
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.linear_intent_classifier import LinearIntentClassifier

EXAMPLES = {
    "order_status": [
        "where is my order",
        "track my order",
        "has my parcel shipped",
        "when does my order arrive",
        "order status please",
        "where's my parcel",
    ],
    "return_item": [
        "i want to return the lamp",
        "how do i send it back",
        "return my mug",
        "can i return this",
        "i'd like a refund for the vase",
        "send back the scarf",
    ],
    "greet": ["hello", "hi there", "good morning", "hey", "hiya", "good evening"],
}


@pytest.fixture
def pipeline(model_storage):
    """A real tokenizer and word + character count featurizers, trained on the examples."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.resource import Resource

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizers = [
        CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **cfg},
            model_storage,
            Resource(f"cv{i}"),
            ExecutionContext(GraphSchema({}), node_name=f"cv{i}"),  # Rasa: one name per node
        )
        for i, cfg in enumerate([{}, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}])
    ]
    data = TrainingData(
        [Message(data={TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts]
    )
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)

    def featurise(*texts):
        messages = tokenizer.process([Message(data={TEXT: t}) for t in texts])
        for featurizer in featurizers:
            featurizer.process(messages)
        return messages

    return data, featurise


def classifier(model_storage, resource, context, **config):
    full = {**LinearIntentClassifier.get_default_config(), **config}
    return LinearIntentClassifier.create(full, model_storage, resource, context)


def test_unseen_paraphrases_get_the_right_intent(pipeline, model_storage, resource, context):
    data, featurise = pipeline
    model = classifier(model_storage, resource, context)
    model.train(data)
    messages = model.process(
        featurise("where is my parcel now", "return the lamp please", "hello there")
    )
    assert [m.get(INTENT)["name"] for m in messages] == ["order_status", "return_item", "greet"]


def test_ranking_is_sorted_probabilities_cut_to_ranking_length(
    pipeline, model_storage, resource, context
):
    data, featurise = pipeline
    model = classifier(model_storage, resource, context, ranking_length=2)
    model.train(data)
    (message,) = model.process(featurise("track my order"))
    confidences = [entry["confidence"] for entry in message.get("intent_ranking")]
    assert len(confidences) == 2
    assert confidences == sorted(confidences, reverse=True)
    assert 0 < sum(confidences) <= 1.0 + 1e-9
    assert message.get(INTENT)["confidence"] == confidences[0]


def test_loaded_model_predicts_exactly_what_the_trained_one_did(
    pipeline, model_storage, resource, context
):
    data, featurise = pipeline
    trained = classifier(model_storage, resource, context)
    trained.train(data)
    loaded = LinearIntentClassifier.load(
        {**LinearIntentClassifier.get_default_config()}, model_storage, resource, context
    )
    text = "can i send back my order"
    before = trained.process(featurise(text))[0].get("intent_ranking")
    after = loaded.process(featurise(text))[0].get("intent_ranking")
    assert [e["name"] for e in before] == [e["name"] for e in after]
    assert np.allclose([e["confidence"] for e in before], [e["confidence"] for e in after])


def test_loading_an_untrained_resource_leaves_messages_unclassified(
    pipeline, model_storage, resource, context
):
    _, featurise = pipeline
    loaded = LinearIntentClassifier.load(
        {**LinearIntentClassifier.get_default_config()}, model_storage, resource, context
    )
    (message,) = loaded.process(featurise("hello"))
    assert message.get(INTENT) is None


def test_a_message_a_featurizer_skipped_still_gets_an_intent(
    pipeline, model_storage, resource, context
):
    data, featurise = pipeline
    model = classifier(model_storage, resource, context)
    model.train(data)
    (message,) = featurise("where is my order")
    # MiniLMFeaturizer, like Rasa's language-model featurizer, skips an empty text.
    message.features = [f for f in message.features if f.origin != "cv1"]
    (message,) = model.process([message])
    assert message.get(INTENT)["name"] == "order_status"
    assert 0 < message.get(INTENT)["confidence"] < 1


def test_a_single_intent_is_predicted_with_certainty(model_storage, resource, context, pipeline):
    _, featurise = pipeline
    data = TrainingData([Message(data={TEXT: t, INTENT: "greet"}) for t in EXAMPLES["greet"]])
    featurised = featurise(*EXAMPLES["greet"])
    for message, original in zip(featurised, data.training_examples, strict=True):
        message.set(INTENT, original.get(INTENT))
    model = classifier(model_storage, resource, context)
    model.train(TrainingData(featurised))
    (message,) = model.process(featurise("where is my order"))
    assert message.get(INTENT) == {"name": "greet", "confidence": 1.0}


def test_without_any_featurizer_training_fails_with_advice(model_storage, resource, context):
    data = TrainingData([Message(data={TEXT: "hi", INTENT: "greet"})])
    with pytest.raises(InvalidConfigException, match="put a featurizer"):
        classifier(model_storage, resource, context).train(data)


@pytest.mark.parametrize("setting", [{"C": 0}, {"dense_weight": -1}, {"max_iter": "many"}])
def test_unusable_settings_are_refused_by_name(setting, model_storage, resource, context):
    (name,) = setting
    with pytest.raises(InvalidConfigException, match=f"`{name}`"):
        classifier(model_storage, resource, context, **setting)
