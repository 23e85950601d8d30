"""The response selectors pick a topic exactly where an answer can read it, and Rasa's pick.

The served model parses each message twice: as served, and with every selector run on every
message (Rasa's own ResponseSelector). Intent, ranking, entities and everything else are
the same; each selector's pick is the same wherever its intent is in play (chosen, offered
by "Did you mean …?", or, for faq, a question a form may answer), and absent elsewhere.
"""

import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME, RESPONSE_SELECTOR_RETRIEVAL_INTENTS
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.intent_guesses import names_in_play
from actions.parsing import could_digress
from bot.components.gated_response_selector import GatedResponseSelector
from tests.rasa_side.conftest import ROOT

MODEL = Path(os.environ.get("CONCIERGE_TEST_MODEL") or ROOT / "models" / "concierge.tar.gz")
SELECTORS = ("faq", "chitchat")
# Messages the training data does not hold, among them near misses between intents.
AWKWARD = [
    "hi", "18992", "ok", "hmm", "bye then", "where is my order 18992", "cheers mate",
    "do you take klarna?", "can I pay in instalments", "how much is delivery to France",
    "are you a real person or a robot", "what's the weather like", "tell me something funny",
    "shipping", "returns", "gift", "i need help", "what can you do", "is it raining there",
    "how are you today and where is my parcel", "do you ship abroad and how long",
    "who built you", "warranty?", "price match", "can i change my address", "thanks a lot",
]  # fmt: skip


def user_texts() -> list[str]:
    """Every tenth NLU training example, the awkward ones above, in a fixed order."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(ROOT / "nlu_data")).intent_examples
    texts = [m.get(TEXT) for m in examples[::10]] + AWKWARD
    return list(dict.fromkeys(t for t in texts if t))


@pytest.fixture(scope="module")
def agent() -> Any:
    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}; `make test` trains it first.")
    return Agent.load(str(MODEL))


def parse_all(agent: Any, texts: list[str]) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


def in_play(selector: str, parse: dict[str, Any]) -> bool:
    question = selector == "faq" and could_digress(parse[TEXT])
    return selector in names_in_play(parse) or question


def test_each_pick_is_rasas_where_it_can_be_read_and_absent_elsewhere(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = user_texts()
    served = parse_all(agent, texts)
    monkeypatch.setattr(GatedResponseSelector, "in_play", lambda self, message: True)
    everywhere = parse_all(agent, texts)

    seen: Counter[tuple[str, str]] = Counter()
    for gated, full in zip(served, everywhere, strict=True):
        without = {k: v for k, v in gated.items() if k != RESPONSE_SELECTOR_PROPERTY_NAME}
        assert without == {k: v for k, v in full.items() if k != RESPONSE_SELECTOR_PROPERTY_NAME}
        picks, all_picks = (
            gated[RESPONSE_SELECTOR_PROPERTY_NAME],
            full[RESPONSE_SELECTOR_PROPERTY_NAME],
        )
        assert (
            picks[RESPONSE_SELECTOR_RETRIEVAL_INTENTS]
            == all_picks[RESPONSE_SELECTOR_RETRIEVAL_INTENTS]
        )
        chosen = gated[INTENT]["name"].split("+")
        for selector in SELECTORS:
            if in_play(selector, gated):
                assert picks[selector] == all_picks[selector], gated[TEXT]
                if selector in chosen:
                    seen[selector, "chosen"] += 1
                elif selector in names_in_play(gated):
                    seen[selector, "offered"] += 1
                else:
                    seen[selector, "a question"] += 1
            else:
                assert selector not in picks, gated[TEXT]
                seen[selector, "skipped"] += 1
        if full[INTENT].get("full_retrieval_intent_name"):
            assert (
                gated[INTENT]["full_retrieval_intent_name"]
                == full[INTENT]["full_retrieval_intent_name"]
            )
    # Every way in is taken, and most messages skip at least one selector.
    for way in ("chosen", "offered", "skipped"):
        assert seen["faq", way] and seen["chitchat", way], seen
    assert seen["faq", "a question"], seen
    assert seen["faq", "skipped"] + seen["chitchat", "skipped"] > len(texts), seen


@pytest.fixture
def selector(model_storage: Any, context: Any, resource: Any) -> Any:
    """Makes an untrained selector for a retrieval intent (``in_play`` needs no model)."""

    def make(retrieval_intent: str, **config: Any) -> GatedResponseSelector:
        full = {**GatedResponseSelector.get_default_config(), "retrieval_intent": retrieval_intent}
        return GatedResponseSelector.create({**full, **config}, model_storage, resource, context)

    return make


def message(text: str, *ranking: tuple[str, float]) -> Message:
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={TEXT: text, INTENT: dict(entries[0]), INTENT_RANKING_KEY: entries})


def test_form_questions_count_only_where_configured(selector: Any) -> None:
    question = message("do you take klarna?", ("inform", 0.9), ("greet", 0.1))
    assert selector("faq", for_form_questions=True).in_play(question)
    assert not selector("faq").in_play(question)
    assert not selector("chitchat").in_play(question)
    answer = message("it's 18992", ("inform", 0.9), ("greet", 0.1))
    assert not selector("faq", for_form_questions=True).in_play(answer)


def test_a_message_out_of_play_gets_the_retrieval_intents_and_no_pick(selector: Any) -> None:
    chitchat = selector("chitchat")
    chitchat.all_retrieval_intents = ["faq", "chitchat"]
    [hi] = chitchat.process([message("hi", ("greet", 0.99), ("chitchat", 0.01))])
    assert hi.get(RESPONSE_SELECTOR_PROPERTY_NAME) == {
        RESPONSE_SELECTOR_RETRIEVAL_INTENTS: ["faq", "chitchat"]
    }


def test_the_benchmark_counts_fewer_selector_calls_as_served(agent: Any) -> None:
    from benchmarks.nlu_selectors import MODES, SCRIPT, measure, table

    results = measure(agent, SCRIPT, rounds=1)
    served, everywhere = results["served"], results["everywhere"]
    assert everywhere.selector_calls == 2 * everywhere.messages == 2 * len(SCRIPT)
    assert 0 < served.selector_calls < everywhere.selector_calls
    assert all(len(results[mode].wall_ms) == 1 for mode in MODES)
    assert "| served / everywhere |" in table(results)
