"""Intents the bot answers alike count together before the FallbackClassifier decides.

Each test runs the component, then Rasa's own FallbackClassifier with config.yml's
thresholds, on parse results shaped as the pipeline hands them over.
"""

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.intent_groups import OUTPUT_KEY, IntentGroups
from tests.rasa_side.conftest import ROOT

PRODUCTS = ["search_products", "ask_recommendation"]


def context():
    return ExecutionContext(GraphSchema({}), "groups")


def groups(config=None):
    full = {**IntentGroups.get_default_config(), **(config or {"groups": [PRODUCTS]})}
    return IntentGroups.create(full, None, Resource("groups"), context())


def pipeline_fallback():
    """The FallbackClassifier exactly as config.yml configures it."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    [settings] = [c for c in config["pipeline"] if c["name"] == "FallbackClassifier"]
    full = {**FallbackClassifier.get_default_config(), **settings}
    full.pop("name")
    return FallbackClassifier.create(full, None, Resource("fallback"), context())


def parsed(*ranking):
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={TEXT: "…", INTENT: dict(entries[0]), INTENT_RANKING_KEY: entries})


def intent_after(components, message):
    for component in components:
        [message] = component.process([message])
    return message.get(INTENT)["name"]


def test_a_request_split_between_two_product_intents_is_no_longer_a_fallback():
    # "gift ideas for my mum please" as the served model ranked it.
    ranking = [("search_products", 0.381), ("ask_recommendation+faq", 0.274),
               ("ask_recommendation", 0.196), ("faq", 0.05)]  # fmt: skip
    assert intent_after([pipeline_fallback()], parsed(*ranking)) == "nlu_fallback"
    message = parsed(*ranking)
    assert intent_after([groups(), pipeline_fallback()], message) == "search_products"
    assert message.get(INTENT)["confidence"] == pytest.approx(0.577)
    names = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert names == ["search_products", "ask_recommendation+faq", "faq"]
    assert message.get(OUTPUT_KEY) == [{"name": "ask_recommendation", "confidence": 0.196}]


def test_two_close_product_intents_are_not_an_ambiguity():
    # "can you recommend a vase?": 0.42 / 0.37 is under the 0.1 ambiguity gap.
    ranking = [("ask_recommendation", 0.422), ("search_products", 0.374), ("faq", 0.08)]
    assert intent_after([pipeline_fallback()], parsed(*ranking)) == "nlu_fallback"
    assert intent_after([groups(), pipeline_fallback()], parsed(*ranking)) == "ask_recommendation"


def test_an_intent_outside_the_groups_is_left_exactly_as_it_was():
    ranking = [("order_status", 0.35), ("search_products", 0.3), ("ask_recommendation", 0.3)]
    message = parsed(*ranking)
    [after] = groups().process([message])
    assert after.get(INTENT) == {"name": "order_status", "confidence": 0.35}
    assert [r["confidence"] for r in after.get(INTENT_RANKING_KEY)] == [0.35, 0.3, 0.3]
    assert after.get(OUTPUT_KEY) is None
    assert intent_after([pipeline_fallback()], after) == "nlu_fallback"


def test_a_real_doubt_between_groups_still_asks():
    # Products against an order question: merging cannot hide that doubt.
    ranking = [("search_products", 0.3), ("ask_recommendation", 0.1), ("order_status", 0.35)]
    ranking.sort(key=lambda r: -r[1])
    assert intent_after([groups(), pipeline_fallback()], parsed(*ranking)) == "nlu_fallback"


def test_the_projects_pipeline_groups_the_product_intents_before_the_fallback():
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    names = [c["name"] for c in config["pipeline"]]
    position = names.index("bot.components.intent_groups.IntentGroups")
    assert names.index("bot.components.linear_intent_classifier.LinearIntentClassifier") < position
    assert position < names.index("FallbackClassifier")
    assert config["pipeline"][position]["groups"] == [PRODUCTS]


@pytest.mark.parametrize(
    ("config", "named"),
    [({"groups": [["search_products"]]}, "at least two"),
     ({"groups": "search_products"}, "at least two"),
     ({"groups": [PRODUCTS, ["ask_recommendation", "greet"]]}, "ask_recommendation")],
)  # fmt: skip
def test_a_broken_configuration_names_what_to_fix(config, named):
    with pytest.raises(InvalidConfigException, match=named):
        groups(config)
