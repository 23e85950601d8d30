"""Follow-ups about shown products over the real stack (issue 14): one short conversation.

Suggestions first, then "tell me more about the first one", "how much is the second",
"does it come in blue": the served NLU must read the ordinals, the dialogue must route
them to action_product_question, and the answers must name the products the bot showed,
with the store's prices. Which products popularity or the trained models pick depends on
what ran before in the session, so the expectations are read from the session history.
"""

from __future__ import annotations

import pytest

from concierge.formatting import money
from store.db import make_engine, make_session_factory
from store.product_facts import products_by_ids
from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration


def test_questions_about_the_first_and_second_suggestion_are_answered_from_the_store(
    guest_chat: Chat, stack, repo
):
    assert "£" in guest_chat.text("what would you recommend")
    session = repo.current_session(guest_chat.sender_id)
    [shown] = [o for o in session.outcomes if o.kind == "recommendations_shown"]
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    first, second = products_by_ids(sessions, shown.detail["items"])[:2]

    more = guest_chat.text("tell me more about the first one")
    assert first.title in more and money(first.price) in more, more
    # The description when the catalogue has one, and an honest word when it has none.
    if first.description:
        assert first.description[:40] in more, more
    else:
        assert "no description" in more, more

    price = guest_chat.text("how much is the second")
    assert price == f"The {second.title} is {money(second.price)}.", price

    colour = guest_chat.text("does it come in blue")
    assert second.title in colour and "blue" in colour, colour

    slots = guest_chat.tracker()["slots"]
    assert slots["shown_products"] == shown.detail["items"]
    assert slots["discussed_product"] == second.id
