"""Every intent has a label in the customer's words, and the fallback's question uses them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.fallback_wording import ActionDefaultAskAffirmation
from actions.intent_labels import INTENT_LABELS, MULTI_INTENT_SPLIT, UNLABELLED, label_for
from tests.actions.trackers import run, tracker

ROOT = Path(__file__).resolve().parents[2]
RETRIEVAL_RESPONSE = re.compile(r"^utter_((?:faq|chitchat)/\w+)$")


def _intent_name(entry: Any) -> str:
    return next(iter(entry)) if isinstance(entry, dict) else str(entry)


def domain_intents() -> set[str]:
    """The intents of bot/domain/*.yml, with the retrieval topics their responses name."""
    found: set[str] = set()
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.update(_intent_name(entry) for entry in data.get("intents") or [])
        for response in data.get("responses") or {}:
            match = RETRIEVAL_RESPONSE.match(response)
            if match:
                found.add(match.group(1))
    return found


def nlu_intents() -> set[str]:
    """The intents the NLU data trains (retrieval topics as ``faq/shipping_costs``)."""
    found: set[str] = set()
    for path in sorted((ROOT / "nlu_data").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.update(item["intent"] for item in data.get("nlu") or [] if "intent" in item)
    return found


def test_the_domain_is_read() -> None:
    assert {"order_status", "request_human", "faq/shipping_costs"} <= domain_intents()


@pytest.mark.parametrize("intent", sorted(domain_intents() | nlu_intents()))
def test_every_intent_has_a_label(intent: str) -> None:
    parts = intent.split(MULTI_INTENT_SPLIT)
    missing = [part for part in parts if part not in INTENT_LABELS]
    assert not missing, f"add a label for {missing} to actions/intent_labels.py"
    assert label_for(intent) != UNLABELLED


def test_no_label_is_a_raw_name() -> None:
    for intent, label in INTENT_LABELS.items():
        assert label != intent
        assert not re.search(r"[_/+]", label), label
        assert label[:1].isupper(), label


def test_a_multi_intent_is_labelled_by_its_parts() -> None:
    assert label_for("order_status+faq/shipping_costs") == (
        "Track an order and ask about shipping costs"
    )


def _fallback_turn(text: str, ranking: list[tuple[str, float]], topic: str | None = None):
    parse_data: dict[str, Any] = {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "entities": [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }
    if topic:
        parse_data["response_selector"] = {
            "faq": {"response": {"intent_response_key": topic, "confidence": 0.9}}
        }
    return tracker(latest_message=parse_data)


def _raw_names_in(text: str) -> list[str]:
    return [i for i in domain_intents() if re.search(rf"(?<![\w']){re.escape(i)}(?![\w'])", text)]


async def test_fallback_asks_in_the_customers_words() -> None:
    turn = _fallback_turn(
        "what orders do I have with you",
        [("nlu_fallback", 0.4), ("ask_capabilities", 0.35), ("greet", 0.05)],
    )
    events, dispatcher = await run(ActionDefaultAskAffirmation(), turn)
    assert events == []
    (message,) = dispatcher.messages
    assert message["text"] == "Sorry, I'm not sure I understood. Did you mean: See what I can do?"
    assert message["buttons"] == [
        {"title": "See what I can do", "payload": "/ask_capabilities"},
        {"title": "Something else", "payload": "/out_of_scope"},
    ]
    shown = " ".join([message["text"], *(b["title"] for b in message["buttons"])])
    assert "_" not in shown and _raw_names_in(shown.lower()) == []


async def test_two_close_guesses_are_both_offered() -> None:
    turn = _fallback_turn(
        "show me the lamp order",
        [("nlu_fallback", 0.4), ("order_status", 0.33), ("list_orders", 0.3), ("faq", 0.02)],
    )
    _, dispatcher = await run(ActionDefaultAskAffirmation(), turn)
    (message,) = dispatcher.messages
    assert message["text"] == "Sorry, I'm not sure I understood. Did you mean one of these?"
    assert [b["title"] for b in message["buttons"]] == [
        "Track an order",
        "Show my orders",
        "Something else",
    ]


async def test_a_policy_question_is_offered_by_its_topic() -> None:
    turn = _fallback_turn(
        "postage?", [("nlu_fallback", 0.4), ("faq", 0.38)], topic="faq/shipping_costs"
    )
    _, dispatcher = await run(ActionDefaultAskAffirmation(), turn)
    (message,) = dispatcher.messages
    assert message["text"].endswith("Did you mean: Ask about shipping costs?")
    # "/faq" would skip the ResponseSelector: the label goes back through the NLU instead.
    assert message["buttons"][0] == {
        "title": "Ask about shipping costs",
        "payload": "Ask about shipping costs",
    }


async def test_a_multi_intent_guess_is_offered_by_its_parts() -> None:
    turn = _fallback_turn(
        "where's 18992 + postage",
        [("nlu_fallback", 0.4), ("order_status+faq", 0.39)],
        topic="faq/shipping_costs",
    )
    _, dispatcher = await run(ActionDefaultAskAffirmation(), turn)
    (message,) = dispatcher.messages
    assert message["buttons"][0]["title"] == "Track an order and ask about shipping costs"


async def test_with_nothing_worth_offering_it_asks_to_rephrase() -> None:
    turn = _fallback_turn("asdf", [("nlu_fallback", 0.4), ("out_of_scope", 0.3)])
    _, dispatcher = await run(ActionDefaultAskAffirmation(), turn)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_ask_rephrase"]
