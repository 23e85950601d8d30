"""The fallback's guesses and the intents in play, shared with Rasa's response selectors."""

from typing import Any

from actions.intent_guesses import guesses, names_in_play


def parse(*ranking: tuple[str, float]) -> dict[str, Any]:
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"intent": dict(entries[0]), "intent_ranking": entries}


def fallback_put_first(parse_data: dict[str, Any], name: str) -> dict[str, Any]:
    """What Rasa's FallbackClassifier (or the out-of-distribution rejector) does later."""
    first = {"name": name, "confidence": 1.0}
    return {"intent": first, "intent_ranking": [first, *parse_data["intent_ranking"]]}


def test_the_chosen_intent_and_close_guesses_are_in_play() -> None:
    close = parse(("order_status", 0.35), ("faq", 0.30), ("chitchat", 0.10))
    assert guesses(close) == ["order_status", "faq"]
    assert names_in_play(close) == {"order_status", "faq"}


def test_a_guess_under_half_the_best_is_not_in_play() -> None:
    far = parse(("greet", 0.60), ("chitchat", 0.29), ("faq", 0.11))
    assert guesses(far) == ["greet"]
    assert names_in_play(far) == {"greet"}


def test_intents_never_offered_are_skipped_before_the_guesses_are_counted() -> None:
    data = parse(("inform", 0.50), ("affirm", 0.20), ("faq", 0.12), ("chitchat", 0.08))
    assert guesses(data) == ["faq", "chitchat"]
    assert names_in_play(data) == {"inform", "faq", "chitchat"}


def test_what_the_fallback_puts_first_changes_no_guess() -> None:
    data = parse(("faq", 0.33), ("search_products", 0.31), ("chitchat", 0.2))
    for first in ("nlu_fallback", "out_of_scope"):
        later = fallback_put_first(data, first)
        assert guesses(later) == guesses(data) == ["faq", "search_products"]
        assert names_in_play(later) == names_in_play(data) | {first}


def test_two_questions_in_one_put_each_part_in_play() -> None:
    data = parse(("order_status+faq", 0.9), ("order_status", 0.05))
    assert names_in_play(data) == {"order_status", "faq"}


def test_a_message_without_a_ranking_has_its_intent_in_play() -> None:
    assert names_in_play({"intent": {"name": "chitchat", "confidence": 1.0}}) == {"chitchat"}
    assert names_in_play({}) == set()
