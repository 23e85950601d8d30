"""The answer to "which item?" is checked against the order before it is stored (issue 14).

Rasa runs ``action_extract_return_item`` as the custom slot mapping of ``return_item`` while
``return_form`` asks for it; a reason given instead must fill the reason, never the item.
Anna's delivered order 18760 holds a Stoneware Mug and a Linen Throw; the shop is a real,
migrated SQLite file.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.messages.returns import REASON_NOTED
from actions.return_item_extraction import ActionExtractReturnItem
from actions.returns import ValidateReturnForm
from tests.actions.shop_data import Customer, Shop, days_ago
from tests.actions.trackers import form_tracker, parse_data, run, texts, tracker
from tests.factories import add_order, add_product

ORDER = "18760"


@pytest.fixture
def mug_and_throw(shop: Shop, anna: Customer) -> str:
    """Anna's delivered order with two items."""
    mug = add_product(shop.sessions, title="Stoneware Mug", category="kitchen")
    throw = add_product(shop.sessions, title="Linen Throw", category="home")
    add_order(shop.sessions, customer_id=anna.id, number=ORDER, status="delivered",
              placed_at=days_ago(9), shipped_at=days_ago(8), delivered_at=days_ago(7),
              lines=[(mug, 1), (throw, 1)])  # fmt: skip
    return ORDER


def _asked_item(anna: Customer, text: str, entities: list[dict[str, Any]] | None = None) -> Tracker:
    slots = {"customer_id": str(anna.id), "order_number": ORDER, "requested_slot": "return_item"}
    message = parse_data(text, "request_return", entities)
    return tracker(slots=slots, latest_message=message, active_loop="return_form")


def _entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0, "extractor": "DIETClassifier"}


async def test_a_reason_with_a_part_named_fills_the_reason_not_the_item(
    anna: Customer, mug_and_throw: str
) -> None:
    said = "it's broken, the handle snapped off"
    entities = [_entity("return_reason", "damaged"), _entity("product", "handle")]
    events, dispatcher = await run(ActionExtractReturnItem(), _asked_item(anna, said, entities))
    assert events == [SlotSet("return_reason", "damaged")]
    assert texts(dispatcher) == []


async def test_a_reason_the_nlu_did_not_tag_is_kept_in_the_customers_words(
    anna: Customer, mug_and_throw: str
) -> None:
    events, _ = await run(ActionExtractReturnItem(), _asked_item(anna, "it's too small"))
    assert events == [SlotSet("return_reason", "it's too small")]


@pytest.mark.parametrize(
    ("said", "entities", "stored"),
    [
        ("the mug", [_entity("product", "mug")], "mug"),
        # The part named is no item, but the sentence names one: the item wins.
        (
            "the handle of the mug snapped",
            [_entity("product", "handle")],
            "the handle of the mug snapped",
        ),
        ("the second one", [], "the second one"),
    ],
)
async def test_words_that_name_an_item_fill_the_item(
    anna: Customer, mug_and_throw: str, said: str, entities: list[dict[str, Any]], stored: str
) -> None:
    events, _ = await run(ActionExtractReturnItem(), _asked_item(anna, said, entities))
    assert events == [SlotSet("return_item", stored)]


async def test_an_unknown_item_is_stored_so_the_validator_can_say_it_is_not_there(
    anna: Customer, mug_and_throw: str
) -> None:
    events, _ = await run(
        ActionExtractReturnItem(), _asked_item(anna, "the teapot", [_entity("product", "teapot")])
    )
    assert events == [SlotSet("return_item", "teapot")]


async def test_without_a_visible_order_the_plain_value_is_left_to_the_validator(
    shop: Shop, anna: Customer
) -> None:
    # No order 18760 in this shop: nothing to match against.
    events, _ = await run(ActionExtractReturnItem(), _asked_item(anna, "it's broken"))
    assert events == [SlotSet("return_item", "it's broken")]


async def test_with_the_database_down_the_plain_value_is_stored(database_down: None) -> None:
    slots = {"customer_id": "1", "order_number": ORDER, "requested_slot": "return_item"}
    message = parse_data("the mug", "inform", [_entity("product", "mug")])
    t = tracker(slots=slots, latest_message=message, active_loop="return_form")
    events, _ = await run(ActionExtractReturnItem(), t)
    assert events == [SlotSet("return_item", "mug")]


async def test_the_validator_says_the_reason_was_noted_when_it_came_instead_of_the_item(
    anna: Customer, mug_and_throw: str
) -> None:
    t = form_tracker(
        "return_form",
        candidates={"return_reason": "damaged"},
        slots={"customer_id": str(anna.id), "order_number": ORDER},
        requested_slot="return_item",
        text="it's broken, the handle snapped off",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert events == [SlotSet("return_reason", "damaged")]
    assert texts(dispatcher) == [REASON_NOTED]


async def test_a_reason_given_with_the_item_is_not_called_a_reason_instead_of_it(
    anna: Customer, mug_and_throw: str
) -> None:
    t = form_tracker(
        "return_form",
        candidates={"return_item": "mug", "return_reason": "damaged"},
        slots={"customer_id": str(anna.id), "order_number": ORDER},
        requested_slot="return_item",
        text="the mug, it's chipped",
    )
    events, dispatcher = await run(ValidateReturnForm(), t)
    assert SlotSet("return_item", "Stoneware Mug") in events
    assert REASON_NOTED not in texts(dispatcher)
