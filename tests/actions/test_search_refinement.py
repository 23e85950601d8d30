"""Reading a colour or a budget said right after a search as a change of that search."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet, UserUtteranceReverted

from actions.search_refinement import LAST_SEARCH_SLOT, refined_query, searched_last_turn
from recsys.search import SearchQuery, parse_query
from tests.actions.trackers import parse_data, tracker, user

CATEGORIES = ("cushions", "lamps", "vases")


def parse(message: str) -> SearchQuery:
    return parse_query(message, CATEGORIES)


@pytest.mark.parametrize(
    ("previous", "message", "refined"),
    [
        (
            "have you got any red cushions",
            "sorry, I meant green ones",
            "have you got any green cushions",
        ),
        (
            "have you got any red cushions",
            "actually I wanted blue",
            "have you got any blue cushions",
        ),
        ("a throw for the sofa", "in grey please", "a throw for the sofa in grey"),
        ("a lamp under 20 pounds", "what about under £40", "a lamp under 40"),
        ("a red lamp", "any in white or black?", "a white or black lamp"),
        ("a vase", "something over 30", "a vase over 30"),
    ],
)
def test_a_colour_or_price_alone_changes_the_last_search(
    previous: str, message: str, refined: str
) -> None:
    assert refined_query(previous, message, parse) == refined


@pytest.mark.parametrize(
    "message",
    [
        "do you have green vases",  # a category: a new search
        "green lamps under 30",
        "sorry, I meant green ones, and where is my order?",  # something else besides
        "thanks, that's all",  # neither colour nor price
        "is the green one in stock",  # a question about what was shown
        "cheaper ones",  # no price named
    ],
)
def test_anything_more_is_not_a_refinement(message: str) -> None:
    assert refined_query("have you got any red cushions", message, parse) is None


def test_a_product_the_nlu_found_makes_it_a_new_search() -> None:
    assert refined_query("red cushions", "green throws", parse, names_a_product=True) is None


def _after(
    bot_actions: list[str], slot: str | None, text: str = "sorry, I meant green ones"
) -> Tracker:
    events: list[dict[str, Any]] = [SessionStarted(), ActionExecuted("action_listen")]
    events.append(user("have you got any red cushions", "search_products"))
    events += [ActionExecuted(name) for name in bot_actions]
    events += [SlotSet(LAST_SEARCH_SLOT, slot), ActionExecuted("action_listen")]
    latest = parse_data(text, "nlu_fallback")
    events.append(user(text, "nlu_fallback") | {"parse_data": latest})
    return tracker(slots={LAST_SEARCH_SLOT: slot}, latest_message=latest, events=events)


def test_the_search_must_be_in_the_bots_last_turn() -> None:
    searched = ["action_search_products", "action_offer_promotion"]
    assert searched_last_turn(_after(searched, "red cushions")) == "red cushions"
    assert searched_last_turn(_after(["action_product_question"], "red cushions")) is None
    assert searched_last_turn(_after(searched, None)) is None


def test_a_search_two_messages_back_does_not_count() -> None:
    t = _after(["action_search_products"], "red cushions")
    events = t.events[:-1] + [
        user("where is my order", "order_status"),
        ActionExecuted("order_status_form"),
        ActionExecuted("action_listen"),
        t.events[-1],
    ]
    later = tracker(
        slots={LAST_SEARCH_SLOT: "red cushions"}, latest_message=t.latest_message, events=events
    )
    assert searched_last_turn(later) is None


def test_a_reverted_fallback_turn_does_not_hide_the_search() -> None:
    t = _after(["action_search_products"], "red cushions")
    reissued = user("sorry, I meant green ones", "search_products")
    events = t.events + [
        ActionExecuted("action_out_of_scope"),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
        reissued,
    ]
    later = tracker(
        slots={LAST_SEARCH_SLOT: "red cushions"},
        latest_message=reissued["parse_data"],
        events=events,
    )
    assert searched_last_turn(later) == "red cushions"


def test_a_search_of_an_earlier_session_does_not_count() -> None:
    t = _after(["action_search_products"], "red cushions")
    new_session = [
        SessionStarted(),
        ActionExecuted("action_session_start"),
        ActionExecuted("action_listen"),
    ]
    events = t.events[:-2] + new_session + [t.events[-1]]
    later = tracker(
        slots={LAST_SEARCH_SLOT: "red cushions"}, latest_message=t.latest_message, events=events
    )
    assert searched_last_turn(later) is None
