"""Asked which item to return, a reason is kept as the reason over the real stack (issue 14).

Rasa runs the action server's custom mapping of ``return_item`` while the form asks for
the item, so "it's broken, the handle snapped off" never lands in the item slot, not even
for a moment: the tracker store holds no such slot event.
"""

from __future__ import annotations

import pytest

from actions.messages.returns import REASON_NOTED
from store.db import make_engine, make_session_factory
from tests.actions.shop_data import days_ago
from tests.factories import add_order, add_product
from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration


def _with_buttons(replies: list[dict]) -> str:
    """The replies' texts and button titles (the items are offered as buttons)."""
    parts = [r.get("text") or "" for r in replies]
    parts += [b["title"] for r in replies for b in r.get("buttons") or []]
    return "\n".join(parts)


def test_a_reason_given_for_the_item_fills_the_reason_and_the_item_is_asked_again(
    stack, shop, anna_chat: Chat
) -> None:
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    mug = add_product(sessions, title="Glazed Breakfast Mug", category="kitchen", price=9.0)
    jug = add_product(sessions, title="Stoneware Milk Jug", category="kitchen", price=14.0)
    number = "48261"
    add_order(sessions, customer_id=shop.anna_id, number=number, status="delivered",
              placed_at=days_ago(6), shipped_at=days_ago(5), delivered_at=days_ago(4),
              lines=[(mug, 1), (jug, 1)])  # fmt: skip

    asked = _with_buttons(anna_chat.say(f"I want to return something from order {number}"))
    assert "Glazed Breakfast Mug" in asked, asked
    reply = _with_buttons(anna_chat.say("it's broken, the handle snapped off"))
    assert REASON_NOTED in reply, reply
    assert "Glazed Breakfast Mug" in reply and "can't find" not in reply, reply

    state = anna_chat.tracker()
    items = [
        e.get("value")
        for e in state["events"]
        if e.get("event") == "slot" and e.get("name") == "return_item"
    ]
    assert not any(items), items
    assert state["active_loop"]["name"] == "return_form"
