"""Whole conversations against the real Rasa server and action server.

Replies are checked for the facts they must carry (numbers from the store, the policy
file's figures), and the store is checked for what the conversation left behind.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from actions.messages import policy_answer
from store.models import Handoff, Order
from store.policy import load_policy
from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration
# These conversations also run on PostgreSQL + Redis (tests/integration/conftest.py).
ALSO_ON_ENGINES = True


def outcome_kinds(repo, sender_id: str) -> list[str]:
    session = repo.current_session(sender_id)
    assert session is not None, f"no session recorded for {sender_id}"
    return [o.kind for o in session.outcomes]


def test_signed_in_customer_gets_status_of_own_order(anna_chat: Chat, shop, repo):
    order = repo.find_order_for(shop.anna_shipped.number, customer_id=shop.anna_id, email=None)
    reply = anna_chat.text(f"where is my order {order.number}?")
    assert order.shipments[0].tracking_number in reply
    assert "DPD" in reply
    session = repo.current_session(anna_chat.sender_id)
    assert session.customer_id == shop.anna_id
    assert session.channel == "web"
    assert "order_status" in session.intents
    assert "order_looked_up" in outcome_kinds(repo, anna_chat.sender_id)


def test_signed_in_customer_picks_her_order_from_buttons_instead_of_typing_it(
    anna_chat: Chat, shop, repo
):
    # Anna has two open orders (shipped and pending): the bot shows hers, not a question.
    replies = anna_chat.say("has my parcel shipped")
    payloads = [str(b["payload"]) for r in replies for b in r.get("buttons") or []]
    order = repo.find_order_for(shop.anna_shipped.number, customer_id=shop.anna_id, email=None)
    pending = shop.anna_pending.number
    assert any(order.number in p for p in payloads), replies
    assert any(pending in p for p in payloads), replies
    assert not any(shop.ben_order.number in p for p in payloads)
    reply = anna_chat.text(next(p for p in payloads if order.number in p))
    assert order.shipments[0].tracking_number in reply


def test_another_customers_order_is_not_shown(anna_chat: Chat, shop, repo):
    bens = repo.find_order_for(shop.ben_order.number, customer_id=shop.ben_id, email=None)
    reply = anna_chat.text(f"where is order {bens.number}")
    assert bens.shipments[0].tracking_number not in reply
    assert bens.number in reply  # "I can't find an order <n> ..." names what was asked


def test_guest_must_give_the_orders_email(guest_chat: Chat, shop):
    number = shop.guest_order.number
    ask = guest_chat.text(f"where is my order {number}")
    assert "e-mail" in ask.lower() or "email" in ask.lower()
    malformed = guest_chat.text("not-an-email")
    assert "e-mail" in malformed.lower() or "email" in malformed.lower()
    wrong = guest_chat.text("someone.else@example.com")
    assert "processing" not in wrong.lower()
    # A mismatch may mean either value was wrong, so the bot starts again from the number.
    assert "order number" in wrong.lower()
    assert "e-mail" in guest_chat.text(number).lower()
    right = guest_chat.text("guest.buyer@example.org")
    assert number in right
    assert "being packed" in right


def test_return_of_delivered_item_creates_a_return(anna_chat: Chat, shop, repo):
    number = shop.anna_delivered.number
    replies = [anna_chat.text(f"I want to return something from order {number}")]
    for answer in ("the mug", "it arrived broken"):
        if "R-" in replies[-1]:
            break
        replies.append(anna_chat.text(answer))
    final = replies[-1]
    assert "R-" in final, replies
    return_number = "R-" + final.split("R-", 1)[1].split()[0].strip(".,!)")
    stored = repo.find_return_for(return_number, customer_id=shop.anna_id, email=None)
    assert stored is not None and stored.order_number == number
    assert "return_created" in outcome_kinds(repo, anna_chat.sender_id)


def test_pending_order_is_cancelled_after_confirmation(anna_chat: Chat, shop, stack):
    number = shop.anna_pending.number
    ask = anna_chat.text(f"please cancel order {number}")
    assert number in ask
    done = anna_chat.text("yes")
    assert "cancel" in done.lower()
    status = _order_status(stack, number)
    assert status == "cancelled"


def test_shipped_order_cannot_be_cancelled(anna_chat: Chat, shop, stack):
    number = shop.anna_shipped.number
    reply = anna_chat.text(f"cancel my order {number}")
    assert "can't be cancelled" in reply
    assert _order_status(stack, number) == "shipped"


def test_policy_answer_comes_from_the_policy_file(guest_chat: Chat, stack):
    policy = load_policy(stack.settings.policy_file)
    reply = guest_chat.text("how much does shipping cost?")
    assert policy_answer(policy, "shipping_costs") in reply


def test_request_for_a_human_is_recorded(anna_chat: Chat, shop, repo, stack):
    reply = anna_chat.text("I want to talk to a real person")
    assert reply
    with _sessions(stack)() as s:
        rows = s.scalars(select(Handoff).where(Handoff.sender_id == anna_chat.sender_id)).all()
    assert [(r.status, r.customer_id) for r in rows] == [("waiting", shop.anna_id)]
    assert "handoff_requested" in outcome_kinds(repo, anna_chat.sender_id)


def test_returning_customer_is_greeted_and_reminded_of_open_order(stack, shop, repo):
    number = shop.anna_shipped.number
    first = Chat(stack, f"web-{uuid.uuid4().hex[:12]}")
    repo.link_identity("web", first.sender_id, shop.anna_id)
    first.text(f"where is my order {number}")
    with _sessions(stack)() as s, s.begin():
        s.execute(update(Order).where(Order.number == number).values(status="delivered"))
    try:
        later = Chat(stack, f"web-{uuid.uuid4().hex[:12]}")
        repo.link_identity("web", later.sender_id, shop.anna_id)
        hello = later.text("hi")
        assert "Welcome back, Anna!" in hello
        assert "Hello, Anna" not in hello  # one greeting per reply
        assert number in hello and "delivered" in hello.lower()
    finally:
        with _sessions(stack)() as s, s.begin():
            s.execute(update(Order).where(Order.number == number).values(status="shipped"))


def test_tracker_survives_a_rasa_restart(stack, anna_chat: Chat, shop):
    anna_chat.text("hello")
    anna_chat.text(f"where is my order {shop.anna_shipped.number}")
    stack.start_service("rasa", timeout=300)
    events = anna_chat.tracker()["events"]
    texts = [e.get("text") for e in events if e["event"] == "user"]
    assert f"where is my order {shop.anna_shipped.number}" in texts
    assert anna_chat.tracker()["slots"]["customer_id"] == str(shop.anna_id)
    assert anna_chat.text("thanks!")


def test_graceful_reply_while_the_action_server_is_down(stack, anna_chat: Chat, shop):
    stack.stop_service("actions")
    try:
        replies = anna_chat.say(f"where is my order {shop.anna_shipped.number}")
        assert replies and all(r.get("text") for r in replies)
        assert "sorry" in replies[0]["text"].lower()
        users = [e for e in anna_chat.tracker()["events"] if e["event"] == "user"]
        assert users[-1]["text"] == f"where is my order {shop.anna_shipped.number}"
    finally:
        stack.start_service("actions")
    # and once it is back the same conversation goes on
    assert anna_chat.text("what can you do?")


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   \n\t ",
        "where is my order " * 1200,  # ~20,000 characters
        "😀🎉📦❓",
        "Где мой заказ? 注文はどこ? where is it",
        "<script>alert('x')</script><b>hello</b>",
        "where is my order 99999",
        "C999999",
    ],
    ids=[
        "empty",
        "whitespace",
        "20k-chars",
        "emoji",
        "mixed-scripts",
        "html",
        "unknown-order",
        "unknown-credit-note",
    ],
)
def test_bad_input_gets_a_sensible_reply(guest_chat: Chat, message: str):
    replies = guest_chat.say(message)
    assert replies, "every message gets an answer"
    assert all((r.get("text") or r.get("buttons")) for r in replies)
    assert not any("Traceback" in (r.get("text") or "") for r in replies)


def _sessions(stack):
    from store.db import make_engine, make_session_factory

    return make_session_factory(make_engine(stack.settings.db_url))


def _order_status(stack, number: str) -> str:
    with _sessions(stack)() as s:
        return s.scalar(select(Order.status).where(Order.number == number))
