"""Follow-ups about shown products, answered by action_product_question from a real store.

The products are shown by the real ``action_recommend`` (popularity from the store's own
orders, as when no model is trained) and its slot events are fed back into the tracker,
as Rasa does between turns.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from actions.messages import products as say
from actions.product_question import ActionProductQuestion
from actions.recommendations import ActionRecommend
from store.models import Product
from tests.actions.shop_data import Shop
from tests.actions.trackers import SENDER, first_text, parse_data, run, tracker, user
from tests.factories import add_customer, add_order, add_product


def _catalogue(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Three products, bought so that popularity shows them journal, lamp, mug."""
    ids = {
        "journal": add_product(
            sessions,
            title="Thistle Leather Journal",
            category="stationery",
            price=21.5,
            colour="Black",
            stock=141,
            description="The leather journal of our Thistle collection, A5, in black.",
        ),
        "lamp": add_product(
            sessions,
            title="Rowan Ceramic Table Lamp",
            category="lighting",
            price=51.95,
            colour="Sage Green",
            stock=3,
            description="A ceramic table lamp base in sage green, 42 cm tall.",
        ),
        "mug": add_product(sessions, title="Speckled Mug", category="kitchen", price=12.5),
    }
    # The same mug in a second colour: "what colours does it come in" names both.
    add_product(sessions, title="Speckled Mug", category="kitchen", price=12.5, colour="Teal")
    for n, (name, buyers) in enumerate((("journal", 4), ("lamp", 3), ("mug", 2))):
        for b in range(buyers):
            buyer = add_customer(sessions, email=f"buyer{n}-{b}@example.com")
            add_order(sessions, customer_id=buyer, lines=[(ids[name], 1)])
    return ids


async def _recommended(shop: Shop) -> tuple[dict[str, int], list[dict[str, Any]]]:
    ids = _catalogue(shop.sessions)
    events, _ = await run(
        ActionRecommend(),
        tracker(latest_message=parse_data("any ideas?", "ask_recommendation")),
    )
    return ids, events


def _follow_up(
    text: str, earlier: list[dict[str, Any]], entities: list[dict[str, Any]] | None = None
) -> Tracker:
    """The tracker of a follow-up after ``earlier`` slot events, as Rasa sends it."""
    slots: dict[str, Any] = {}
    for event in earlier:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]
    parse = parse_data(text, "product_question", entities)
    events = [SessionStarted(), ActionExecuted("action_listen"), *earlier]
    events += [user(text, "product_question") | {"parse_data": parse}]
    return tracker(slots=slots, latest_message=parse, events=events)


def _ordinal(value: str) -> list[dict[str, Any]]:
    return [{"entity": "ordinal", "value": value, "start": 0, "end": len(value)}]


async def test_recommending_remembers_the_products_in_the_order_shown(shop: Shop) -> None:
    ids, events = await _recommended(shop)
    assert SlotSet("shown_products", [ids["journal"], ids["lamp"], ids["mug"]]) in events
    assert SlotSet("discussed_product", None) in events


async def test_tell_me_more_about_the_first_gives_description_price_and_stock(
    shop: Shop,
) -> None:
    ids, shown = await _recommended(shop)
    events, dispatcher = await run(
        ActionProductQuestion(),
        _follow_up("tell me more about the first one", shown, _ordinal("first")),
    )
    text = first_text(dispatcher)
    assert text.startswith("The Thistle Leather Journal: The leather journal of our Thistle")
    assert "£21.50" in text
    assert "is in stock" in text
    assert events == [SlotSet("discussed_product", ids["journal"])]


async def test_how_much_is_the_second_reads_the_current_price(shop: Shop) -> None:
    ids, shown = await _recommended(shop)
    with shop.sessions() as s, s.begin():
        s.execute(update(Product).where(Product.id == ids["lamp"]).values(price=47.0))
    _, dispatcher = await run(ActionProductQuestion(), _follow_up("how much is the 2nd?", shown))
    assert first_text(dispatcher) == "The Rowan Ceramic Table Lamp is £47."


async def test_it_means_the_product_discussed_last(shop: Shop) -> None:
    ids, shown = await _recommended(shop)
    with shop.sessions() as s, s.begin():  # sold out since it was shown
        s.execute(update(Product).where(Product.id == ids["mug"]).values(stock=0))
    events, _ = await run(
        ActionProductQuestion(), _follow_up("what about the last one", shown, _ordinal("last one"))
    )
    _, dispatcher = await run(
        ActionProductQuestion(), _follow_up("is it in stock", [*shown, *events])
    )
    assert first_text(dispatcher) == "I'm sorry, the Speckled Mug is out of stock at the moment."


async def test_does_it_come_in_blue_says_no_and_names_its_colours(shop: Shop) -> None:
    ids, shown = await _recommended(shop)
    discussed = [*shown, SlotSet("discussed_product", ids["mug"])]
    _, dispatcher = await run(
        ActionProductQuestion(), _follow_up("does it come in blue", discussed)
    )
    assert first_text(dispatcher) == (
        "Sorry, the Speckled Mug doesn't come in blue — it comes in teal."
    )
    colour = [{"entity": "colour", "value": "sage green", "start": 15, "end": 25}]
    _, dispatcher = await run(
        ActionProductQuestion(),
        _follow_up("does the lamp come in sage green", shown, colour),
    )
    assert first_text(dispatcher) == "Yes, the Rowan Ceramic Table Lamp comes in sage green."


async def test_a_product_word_picks_the_shown_product_with_it(shop: Shop) -> None:
    _, shown = await _recommended(shop)
    product = [{"entity": "product", "value": "lamp", "start": 7, "end": 11}]
    _, dispatcher = await run(
        ActionProductQuestion(), _follow_up("is the lamp still available", shown, product)
    )
    assert first_text(dispatcher) == "Yes, the Rowan Ceramic Table Lamp is in stock — only 3 left."


async def test_material_and_size_come_from_the_catalogue_text(shop: Shop) -> None:
    _, shown = await _recommended(shop)
    _, made = await run(ActionProductQuestion(), _follow_up("what's the second made of", shown))
    assert first_text(made) == "The Rowan Ceramic Table Lamp is made of ceramic."
    _, size = await run(ActionProductQuestion(), _follow_up("how tall is the second", shown))
    assert first_text(size) == "The Rowan Ceramic Table Lamp measures 42 cm."


async def test_what_the_catalogue_does_not_hold_is_said_and_the_team_offered(shop: Shop) -> None:
    _, shown = await _recommended(shop)
    _, dispatcher = await run(
        ActionProductQuestion(), _follow_up("what's the third one made of", shown)
    )
    assert first_text(dispatcher) == (
        "I don't have the material for the Speckled Mug in our catalogue — our team can "
        "check, shall I ask them?"
    )
    assert dispatcher.messages[0]["buttons"] == [
        {"title": say.ASK_THE_TEAM, "payload": "/request_human"}
    ]


async def test_a_colour_the_catalogue_does_not_list_is_said_so(shop: Shop) -> None:
    ids, shown = await _recommended(shop)
    with shop.sessions() as s, s.begin():
        s.execute(update(Product).where(Product.id == ids["journal"]).values(colour=None))
    _, dispatcher = await run(
        ActionProductQuestion(), _follow_up("does the first come in navy", shown)
    )
    assert first_text(dispatcher) == (
        "Our catalogue doesn't say whether the Thistle Leather Journal comes in navy — our "
        "team can check, shall I ask them?"
    )


async def test_it_with_several_shown_and_none_discussed_asks_which(shop: Shop) -> None:
    ids, shown = await _recommended(shop)
    events, dispatcher = await run(ActionProductQuestion(), _follow_up("how much is it", shown))
    assert first_text(dispatcher) == say.WHICH_OF_THEM
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads[1] == '/product_question{"ordinal": "2"}'
    assert events == []


async def test_a_product_that_was_not_shown_is_named_back(shop: Shop) -> None:
    _, shown = await _recommended(shop)
    product = [{"entity": "product", "value": "teapot", "start": 7, "end": 13}]
    _, dispatcher = await run(
        ActionProductQuestion(), _follow_up("is the teapot in stock", shown, product)
    )
    assert first_text(dispatcher).startswith(
        "I didn't show you a teapot just now — I showed you the Thistle Leather Journal, "
    )


async def test_nothing_shown_asks_which_product_and_offers_suggestions(shop: Shop) -> None:
    add_customer(shop.sessions, email="someone@example.com")
    _, dispatcher = await run(
        ActionProductQuestion(),
        tracker(sender_id=SENDER, latest_message=parse_data("is it in stock", "product_question")),
    )
    assert first_text(dispatcher) == ("Which product do you mean? I can suggest some if you like.")
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/ask_recommendation"


async def test_how_much_are_they_prices_every_product_shown(shop: Shop) -> None:
    _, shown = await _recommended(shop)
    _, dispatcher = await run(ActionProductQuestion(), _follow_up("how much are they", shown))
    assert first_text(dispatcher).splitlines() == [
        "The Thistle Leather Journal is £21.50.",
        "The Rowan Ceramic Table Lamp is £51.95.",
        "The Speckled Mug is £12.50.",
    ]
