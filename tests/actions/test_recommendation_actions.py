"""Recommendations in the chat, on a generated shop with really trained recsys artifacts.

The trained shop is built once per module (generating and training take a while); its
action services, models included, stay loaded across the module's tests exactly as they
stay loaded in a running action server. The fallback tests use an untrained shop.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import (
    ActionExecuted,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from actions.fallback_wording import ActionDefaultAskAffirmation, ActionOutOfScope
from actions.messages import CANT_RECOMMEND
from actions.recommendations import (
    ActionRecommend,
    ActionSearchProducts,
    ActionSuggestBoughtTogether,
)
from actions.search_refinement import LAST_SEARCH_SLOT
from actions.services import get_advisor, get_services, reset_services
from concierge.settings import Settings
from demo_shop.generator import generate
from recsys.embeddings import TextEmbedder
from recsys.store_data import load_store_data
from recsys.training import train_all
from store.models import Order, OrderLine, Product
from tests.actions.shop_data import Shop
from tests.actions.trackers import SENDER, first_text, parse_data, run, tracker, user
from tests.factories import add_customer, add_identity, add_order, add_product, migrated_store

GUEST = "guest-sender"


@dataclass(frozen=True)
class TrainedShop:
    """A generated shop, its trained artifacts, and a customer with a purchase history."""

    root: Path
    sessions: sessionmaker[Session]
    customer_id: int


def _settings(root: Path) -> Settings:
    defaults = Settings.from_env()
    return Settings(
        var_dir=root,
        db_url=f"sqlite:///{root / 'shop.db'}",
        tracker_db_url=f"sqlite:///{root / 'tracker.db'}",
        artifacts_dir=root / "artifacts",
        policy_file=defaults.policy_file,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedShop]:
    root = tmp_path_factory.mktemp("trained-shop")
    sessions = migrated_store(root, "shop.db")
    generate(sessions, seed=3, customers=250, products=60, days=240)
    with threadpool_limits(1):
        train_all(
            _settings(root),
            load_store_data(sessions),
            embedder=TextEmbedder(num_threads=1),
            progress=False,
            tune=False,
        )
    with sessions() as s:
        # The customer with the most orders: a real history to recommend from.
        customer_id = s.scalar(
            select(Order.customer_id)
            .where(Order.customer_id.is_not(None))
            .group_by(Order.customer_id)
            .order_by(func.count(Order.id).desc(), Order.customer_id)
            .limit(1)
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONCIERGE_VAR_DIR", str(root))
        patch.setenv("CONCIERGE_DB_URL", _settings(root).db_url)
        patch.delenv("CONCIERGE_ARTIFACTS_DIR", raising=False)
        reset_services()
        yield TrainedShop(root, sessions, int(customer_id))
        reset_services()


def ask(text: str, intent: str, customer_id: int | None = None, entities: list | None = None):
    """A tracker whose latest message is ``text`` (a guest unless ``customer_id``)."""
    slots = {"customer_id": str(customer_id)} if customer_id else {}
    return tracker(
        sender_id=SENDER if customer_id else GUEST,
        slots=slots,
        latest_message=parse_data(text, intent, entities),
    )


def product_prices(sessions: sessionmaker[Session]) -> dict[str, float]:
    with sessions() as s:
        return {title: price for title, price in s.execute(select(Product.title, Product.price))}


def shown(sender_id: str) -> list[dict]:
    session = get_services().repository.current_session(sender_id)
    return [
        o.detail | {"source": o.ref} for o in session.outcomes if o.kind == "recommendations_shown"
    ]


def listed_titles(text: str) -> list[str]:
    """Titles of the bullet lines of a product list ("• Title — £12: why")."""
    return [line[2:].split(" — ")[0] for line in text.splitlines() if line.startswith("• ")]


async def test_signed_in_customer_gets_three_products_with_price_and_reason(
    trained: TrainedShop,
) -> None:
    events, dispatcher = await run(
        ActionRecommend(),
        ask("what would you recommend", "ask_recommendation", trained.customer_id),
    )
    [message] = dispatcher.messages
    titles = listed_titles(message["text"])
    prices = product_prices(trained.sessions)
    assert len(titles) == 3 and all(t in prices for t in titles)
    assert all(": " in line and "£" in line for line in message["text"].splitlines()[1:])
    payload = message["buttons"][0]["payload"]
    assert payload.startswith("/ask_recommendation{")
    liked = json.loads(payload.removeprefix("/ask_recommendation"))["liked_product"]
    [record] = shown(SENDER)
    assert record["source"] == "recommender" and record["items"][0] == int(liked)
    assert set(record["versions"]) == {"recommender", "search"}
    # A follow-up ("how much is the second") reads the list from the slot, in the order shown.
    assert events == [
        SlotSet("shown_products", record["items"]),
        SlotSet("discussed_product", None),
    ]


async def test_guest_gets_what_is_popular(trained: TrainedShop) -> None:
    _, dispatcher = await run(ActionRecommend(), ask("any ideas?", "ask_recommendation"))
    text = first_text(dispatcher)
    assert text.startswith("Here's what other customers love right now:")
    assert len(listed_titles(text)) == 3
    assert "popular" in text or "best seller" in text


async def test_search_keeps_to_the_budget(trained: TrainedShop) -> None:
    _, dispatcher = await run(
        ActionSearchProducts(), ask("a gift for my mother under 30 pounds", "search_products")
    )
    text = first_text(dispatcher)
    titles = listed_titles(text)
    prices = product_prices(trained.sessions)
    assert titles and all(prices[t] <= 30 for t in titles)
    assert "within your budget" in text
    assert shown(GUEST)[-1]["query"] == "a gift for my mother under 30 pounds"


async def test_search_with_an_impossible_budget_explains_and_offers_popular_items(
    trained: TrainedShop,
) -> None:
    _, dispatcher = await run(
        ActionSearchProducts(), ask("a lamp under 1 pound", "search_products")
    )
    [message] = dispatcher.messages
    assert message["text"].startswith("I couldn't find anything")
    assert "under £1" in message["text"]
    assert message["buttons"] == [
        {"title": "Show me popular items", "payload": "/ask_recommendation"}
    ]


async def test_more_like_a_product_the_customer_bought_names_it(trained: TrainedShop) -> None:
    with trained.sessions() as s:
        title = s.scalar(
            select(Product.title)
            .join(OrderLine, OrderLine.product_id == Product.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.customer_id == trained.customer_id)
            .order_by(Order.placed_at.desc())
            .limit(1)
        )
    entities = [{"entity": "product", "value": title}]
    _, dispatcher = await run(
        ActionRecommend(),
        ask(
            f"something like the {title} I bought",
            "ask_recommendation",
            trained.customer_id,
            entities,
        ),
    )
    text = first_text(dispatcher)
    assert text.startswith(f"If you like the {title}, you might also like:")
    assert title not in listed_titles(text)


async def test_bought_together_suggests_other_members_of_a_planted_bundle(
    trained: TrainedShop,
) -> None:
    # The generator buys bundle members together; an order holding one of them is the
    # moment the model should name another.
    with trained.sessions() as s:
        number, customer_id = s.execute(
            select(Order.number, Order.customer_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.customer_id.is_not(None))
            .group_by(Order.id)
            .having(func.count(OrderLine.id) >= 2)
            .order_by(Order.placed_at.desc())
            .limit(1)
        ).one()
    order_tracker = tracker(
        sender_id=SENDER, slots={"customer_id": str(customer_id), "order_number": number}
    )
    events, dispatcher = await run(ActionSuggestBoughtTogether(), order_tracker)
    text = first_text(dispatcher)
    assert text.startswith("By the way, customers who bought that often add:")
    assert "bought together with" in text
    assert events[0] == SlotSet("shown_products", shown(SENDER)[-1]["items"])


async def test_bought_together_is_silent_for_an_order_the_asker_may_not_see(
    trained: TrainedShop,
) -> None:
    with trained.sessions() as s:
        number = s.scalar(select(Order.number).where(Order.customer_id.is_not(None)).limit(1))
    stranger = tracker(sender_id=GUEST, slots={"order_number": number})
    events, dispatcher = await run(ActionSuggestBoughtTogether(), stranger)
    assert dispatcher.messages == []
    assert events == []


# -- without trained artifacts ----------------------------------------------------------


def _small_history(sessions: sessionmaker[Session]) -> tuple[int, int]:
    mug = add_product(sessions, title="Speckled Mug", category="kitchen", price=12.5)
    lamp = add_product(sessions, title="Brass Lamp", category="lighting", price=45.0)
    for n in range(3):
        buyer = add_customer(sessions, email=f"buyer{n}@example.com")
        add_order(sessions, customer_id=buyer, lines=[(mug, 1)])
    add_order(
        sessions, customer_id=add_customer(sessions, email="b@example.com"), lines=[(lamp, 1)]
    )
    return mug, lamp


async def test_without_artifacts_popular_products_come_from_the_store_and_the_log_says_why(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    _small_history(shop.sessions)
    customer = add_customer(shop.sessions, email="new@example.com")
    add_identity(shop.sessions, SENDER, customer)
    with caplog.at_level(logging.WARNING, logger="actions.product_advice"):
        _, dispatcher = await run(
            ActionRecommend(), ask("what would you recommend", "ask_recommendation", customer)
        )
    text = first_text(dispatcher)
    assert text.startswith("Here's what other customers love right now:")
    assert listed_titles(text) == ["Speckled Mug", "Brass Lamp"]
    assert "£12.50" in text
    assert "recommender unavailable" in caplog.text
    assert shown(SENDER)[0]["source"] == "popularity"


async def test_without_artifacts_a_search_says_so_and_shows_popular_items(shop: Shop) -> None:
    _small_history(shop.sessions)
    _, dispatcher = await run(ActionSearchProducts(), ask("red lamp under 20", "search_products"))
    text = first_text(dispatcher)
    assert text.startswith("I can't search the catalogue right now")
    assert listed_titles(text)[0] == "Speckled Mug"


async def test_an_empty_shop_without_artifacts_cannot_recommend(shop: Shop) -> None:
    _, dispatcher = await run(ActionRecommend(), ask("any ideas", "ask_recommendation"))
    assert first_text(dispatcher) == CANT_RECOMMEND
    _, searched = await run(ActionSearchProducts(), ask("a red lamp", "search_products"))
    assert first_text(searched) == CANT_RECOMMEND


async def test_artifacts_trained_after_start_are_picked_up_without_a_restart(
    shop: Shop, trained: TrainedShop
) -> None:
    _small_history(shop.sessions)
    degraded = get_advisor(get_services())
    assert degraded.models.recommender is None
    artifacts = get_services().settings.artifacts_dir
    shutil.copytree(trained.root / "artifacts", artifacts)
    advisor = get_advisor(get_services())
    assert advisor is not degraded
    assert advisor.models.recommender is not None
    assert advisor is get_advisor(get_services())  # loaded once, then kept


def _right_after_search(text: str, intent: str, searched: str) -> Tracker:
    """A guest's ``text`` right after the bot searched for ``searched``."""
    latest = parse_data(text, intent)
    events = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user(searched, "search_products"),
        ActionExecuted("action_search_products"),
        SlotSet(LAST_SEARCH_SLOT, searched),
        ActionExecuted("action_listen"),
        user(text, intent) | {"parse_data": latest},
    ]
    return tracker(
        sender_id=GUEST, slots={LAST_SEARCH_SLOT: searched}, latest_message=latest, events=events
    )


async def test_a_search_remembers_what_it_looked_for(trained: TrainedShop) -> None:
    events, _ = await run(ActionSearchProducts(), ask("a lamp under 20 pounds", "search_products"))
    assert SlotSet(LAST_SEARCH_SLOT, "a lamp under 20 pounds") in events


async def test_a_budget_said_right_after_a_search_changes_that_search(
    trained: TrainedShop,
) -> None:
    t = _right_after_search("what about under 40 pounds", "search_products", "a lamp under 20")
    events, dispatcher = await run(ActionSearchProducts(), t)
    assert shown(GUEST)[-1]["query"] == "a lamp under 40"
    assert SlotSet(LAST_SEARCH_SLOT, "a lamp under 40") in events
    prices = product_prices(trained.sessions)
    titles = listed_titles(first_text(dispatcher))
    assert titles and all(prices[t] <= 40 for t in titles)


async def test_an_unsure_refinement_is_run_as_the_search_instead_of_did_you_mean(
    trained: TrainedShop,
) -> None:
    t = _right_after_search("sorry, I meant green ones", "nlu_fallback", "any red cushions")
    events, dispatcher = await run(ActionDefaultAskAffirmation(), t)
    assert dispatcher.messages == []
    assert events[0] == UserUtteranceReverted()
    reissued = events[2]
    assert reissued["text"] == "sorry, I meant green ones"
    assert reissued["parse_data"]["intent"] == {"name": "search_products", "confidence": 1.0}
    assert events[-1] == FollowupAction("action_search_products")


async def test_an_unsure_message_that_is_no_refinement_still_asks(trained: TrainedShop) -> None:
    t = _right_after_search("banana telephone", "nlu_fallback", "any red cushions")
    events, dispatcher = await run(ActionDefaultAskAffirmation(), t)
    assert events == []
    assert dispatcher.messages  # "Did you mean …?" or "please rephrase"


async def test_a_refinement_read_as_out_of_scope_is_run_as_the_search(trained: TrainedShop) -> None:
    t = _right_after_search("sorry, I meant white ones", "out_of_scope", "a red lamp")
    # spaCy's entities have no confidence, which Rasa's check of the events refuses.
    white = {"entity": "colour", "value": "white", "confidence": None, "start": 15, "end": 20}
    t.latest_message["entities"] = [white]
    events, dispatcher = await run(ActionOutOfScope(), t)
    assert dispatcher.messages == []
    assert events[2]["parse_data"]["entities"] == [
        {"entity": "colour", "value": "white", "start": 15, "end": 20}
    ]
    assert events[-1] == FollowupAction("action_search_products")


async def test_out_of_scope_is_declined_with_what_the_assistant_can_do(
    trained: TrainedShop,
) -> None:
    t = _right_after_search("book me a taxi", "out_of_scope", "a red lamp")
    events, dispatcher = await run(ActionOutOfScope(), t)
    assert events == []
    responses = [m["response"] for m in dispatcher.messages]
    assert responses == ["utter_out_of_scope", "utter_capabilities"]
