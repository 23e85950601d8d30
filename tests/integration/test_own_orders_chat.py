"""A signed-in customer's orders over the real stack (issue 14): listed, then one named.

Right after "show my orders", naming one of them by what is in it looks that order up,
whichever way the served NLU reads the words: as an answer ("the one with the lamp",
`inform`, the order form resolves it) or as a question about a product ("tell me about
the lamp one", `product_question`, which hands over to the order's status because no
products were shown). Never "Which product do you mean?".
"""

from __future__ import annotations

import pytest

from actions.messages.products import WHICH_PRODUCT
from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "named", ["what about the one with the lamp?", "tell me about the lamp one"]
)
def test_an_order_named_after_her_orders_were_listed_is_looked_up(
    anna_chat: Chat, shop, named: str
) -> None:
    listed = anna_chat.say("show my orders")
    payloads = [b["payload"] for r in listed for b in r.get("buttons") or []]
    assert any(shop.anna_shipped.number in p for p in payloads), listed

    reply = anna_chat.text(named)  # only her shipped order has a lamp in it
    assert shop.anna_shipped.number in reply, reply
    assert WHICH_PRODUCT not in reply
