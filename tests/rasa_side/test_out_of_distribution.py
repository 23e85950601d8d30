"""The distance-to-training-data score and the component that rejects on it.

Features come from the real MiniLMFeaturizer (the packaged all-MiniLM-L6-v2 weights), the
intent from the real LinearIntentClassifier, so "far" means what it means in the bot.
"""

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.distance_ood import (
    NearestNeighbourDistance,
    knn_distance,
    unit_rows,
    validation_split,
)
from bot.components.linear_intent_classifier import LinearIntentClassifier
from bot.components.minilm_featurizer import MiniLMFeaturizer
from bot.components.out_of_distribution import OutOfDistributionRejector

EXAMPLES = {
    "order_status": [
        "where is my order",
        "track my order",
        "has my parcel shipped yet",
        "when does my order arrive",
        "order status please",
        "where's my parcel",
        "is my delivery on its way",
        "my package still hasn't come",
        "can you check on my order",
        "when will my stuff get here",
    ],
    "return_item": [
        "i want to return the lamp",
        "how do i send it back",
        "return my mug please",
        "can i return this",
        "i'd like a refund for the vase",
        "send back the scarf",
        "the cushion is faulty, i want my money back",
        "start a return for me",
        "how do returns work",
        "i need to return a broken teapot",
    ],
    "greet": [
        "hello",
        "hi there",
        "good morning",
        "hey",
        "hiya",
        "good evening",
        "morning!",
        "hello, anyone there?",
        "hey there",
        "hi",
    ],
    "out_of_scope": [
        "what's the weather tomorrow",
        "who won the football",
        "tell me a joke about cats",
        "what's the capital of peru",
        "play some music",
    ],
}


@pytest.fixture(scope="module")
def featurise(tmp_path_factory):
    """Tokenizer + real MiniLM featurizer; returns a function texts -> featurised messages."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    storage = LocalModelStorage.create(tmp_path_factory.mktemp("minilm"))
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = MiniLMFeaturizer.create(
        MiniLMFeaturizer.get_default_config(),
        storage,
        Resource("minilm"),
        ExecutionContext(GraphSchema({}), node_name="minilm"),
    )

    def run(*texts, intents=None):
        messages = tokenizer.process([Message(data={TEXT: t}) for t in texts])
        featurizer.process(messages)
        for message, intent in zip(messages, intents or [], strict=False):
            message.set(INTENT, intent)
        return messages

    return run


@pytest.fixture
def trained(featurise, model_storage, context):
    """The classifier and the rejector, both trained on EXAMPLES."""
    texts = [t for ts in EXAMPLES.values() for t in ts]
    intents = [i for i, ts in EXAMPLES.items() for _ in ts]
    data = TrainingData(featurise(*texts, intents=intents))
    classifier = LinearIntentClassifier.create(
        LinearIntentClassifier.get_default_config(), model_storage, Resource("clf"), context
    )
    classifier.train(data)
    rejector = make(model_storage, Resource("ood"), context)
    rejector.train(data)
    return classifier, rejector


def make(model_storage, resource, context, **config):
    full = {**OutOfDistributionRejector.get_default_config(), **config}
    return OutOfDistributionRejector.create(full, model_storage, resource, context)


def parse(trained, featurise, *texts):
    classifier, rejector = trained
    return rejector.process(classifier.process(featurise(*texts)))


def test_knn_distance_is_one_minus_the_kth_best_cosine():
    reference = unit_rows(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    query = unit_rows(np.array([[1.0, 0.0]]))
    assert knn_distance(query, reference, 1) == pytest.approx([0.0])
    assert knn_distance(query, reference, 2) == pytest.approx([1 - np.sqrt(0.5)])
    assert knn_distance(query, reference, 3) == pytest.approx([1.0])
    assert knn_distance(query, reference, 99) == pytest.approx([1.0])  # capped at 3


def test_validation_split_takes_a_share_of_each_intent_and_spares_tiny_ones():
    labels = ["a"] * 20 + ["b"] * 10 + ["c"] * 2
    fit, held = validation_split(labels, 0.1, seed=0)
    assert sorted([*fit, *held]) == list(range(32))
    assert [labels[i] for i in held].count("a") == 2
    assert [labels[i] for i in held].count("b") == 1
    assert "c" not in [labels[i] for i in held]


def test_threshold_is_the_quantile_of_held_back_distances_not_of_training_ones():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 16))
    labels = [str(i % 4) for i in range(200)]
    model = NearestNeighbourDistance(k=1, in_scope_quantile=0.9).fit(vectors, labels)
    fit, held = validation_split(labels, 0.1, seed=0)
    units = unit_rows(vectors)
    expected = np.quantile(knn_distance(units[held], units[fit], 1), 0.9)
    assert model.threshold_ == pytest.approx(expected)
    # Scored against all of training, every training example is its own neighbour: a
    # threshold taken from there would be 0 and reject everything new.
    assert model.score(vectors[:5]) == pytest.approx(np.zeros(5), abs=1e-5)
    assert model.threshold_ > 0.1


def test_message_far_from_all_training_is_rejected_as_out_of_scope(trained, featurise):
    far, near = parse(
        trained,
        featurise,
        "what is the boiling point of liquid nitrogen in kelvin",
        "where has my parcel got to",
    )
    verdict = far.get("out_of_distribution")
    assert verdict["rejected"] and verdict["distance"] > verdict["threshold"]
    assert far.get(INTENT) == {"name": "out_of_scope", "confidence": 1.0}
    assert far.get("intent_ranking")[0]["name"] == "out_of_scope"
    assert verdict["classifier_intent"]["name"] != ""
    assert near.get("out_of_distribution")["rejected"] is False
    assert near.get(INTENT)["name"] == "order_status"


def test_without_rejection_the_classifiers_answer_is_untouched(trained, featurise):
    classifier, _ = trained
    text = "hello there, good morning"
    (alone,) = classifier.process(featurise(text))
    (both,) = parse(trained, featurise, text)
    assert both.get("out_of_distribution")["rejected"] is False
    assert both.get(INTENT) == alone.get(INTENT)
    assert both.get("intent_ranking") == alone.get("intent_ranking")


def test_a_message_with_an_entity_is_never_rejected(trained, featurise):
    classifier, rejector = trained
    (message,) = classifier.process(featurise("what is the boiling point of liquid nitrogen"))
    message.set(ENTITIES, [{"entity": "order_number", "value": "18992", "start": 0, "end": 5}])
    (message,) = rejector.process([message])
    verdict = message.get("out_of_distribution")
    assert verdict["distance"] > verdict["threshold"] and verdict["rejected"] is False


def test_without_an_out_of_scope_intent_rejection_is_nlu_fallback(
    featurise, model_storage, context
):
    texts = EXAMPLES["order_status"] + EXAMPLES["greet"]
    intents = ["order_status"] * 10 + ["greet"] * 10
    rejector = make(model_storage, Resource("ood2"), context)
    rejector.train(TrainingData(featurise(*texts, intents=intents)))
    (message,) = featurise("what is the boiling point of liquid nitrogen in kelvin")
    message.set(INTENT, {"name": "greet", "confidence": 0.9})
    (message,) = rejector.process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_loaded_component_scores_exactly_as_the_trained_one(trained, featurise, model_storage):
    _, rejector = trained
    loaded = OutOfDistributionRejector.load(
        OutOfDistributionRejector.get_default_config(),
        model_storage,
        Resource("ood"),
        ExecutionContext(GraphSchema({}), node_name="ood"),
    )
    text = "can you recommend a good pizza place"
    before = rejector.process(featurise(text))[0].get("out_of_distribution")
    after = loaded.process(featurise(text))[0].get("out_of_distribution")
    assert after["distance"] == pytest.approx(before["distance"], abs=1e-6)
    assert after["threshold"] == before["threshold"]


def test_report_only_mode_scores_without_rejecting(featurise, model_storage, context):
    texts = [t for ts in EXAMPLES.values() for t in ts]
    intents = [i for i, ts in EXAMPLES.items() for _ in ts]
    rejector = make(model_storage, Resource("ood3"), context, reject=False)
    rejector.train(TrainingData(featurise(*texts, intents=intents)))
    (message,) = featurise("what is the boiling point of liquid nitrogen in kelvin")
    message.set(INTENT, {"name": "greet", "confidence": 0.9})
    (message,) = rejector.process([message])
    assert message.get("out_of_distribution")["distance"] > 0
    assert message.get(INTENT)["name"] == "greet"


@pytest.mark.parametrize("setting", [{"k": 0}, {"in_scope_quantile": 1.5}])
def test_unusable_settings_are_refused_by_name(setting, model_storage, resource, context):
    (name,) = setting
    with pytest.raises(InvalidConfigException, match=f"`{name}`"):
        make(model_storage, resource, context, **setting)
