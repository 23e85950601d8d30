"""action_link_account and action_unlink_account on a real shop database."""

from __future__ import annotations

from rasa_sdk.events import SlotSet
from sqlalchemy import update

from actions.linking import ActionLinkAccount, ActionUnlinkAccount
from actions.messages import linking as words
from store.account_linking import MAX_FAILURES, AccountLinking, LinkOutcome
from store.link_codes import LinkCode
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import parse_data, run, texts, tracker
from tests.factories import add_customer, add_identity

TELEGRAM_USER = "telegram-4242"
TELEGRAM = {"channel": "telegram"}


def _link_tracker(
    code: str | None,
    *,
    sender_id: str = TELEGRAM_USER,
    metadata: dict = TELEGRAM,
    slots: dict | None = None,
):
    """The tracker after the channel turned "/start CODE" into the link_account intent."""
    entities = [{"entity": "link_code", "value": code}] if code else []
    text = f'/link_account{{"link_code": "{code}"}}' if code else "link my account"
    message = parse_data(text, "link_account", entities, metadata=metadata)
    return tracker(
        sender_id=sender_id,
        slots={"session_started_metadata": metadata, "link_code": code, **(slots or {})},
        latest_message=message,
    )


def _unlink_tracker(*, metadata: dict = TELEGRAM, slots: dict | None = None):
    message = parse_data("/unlink_account", "unlink_account", metadata=metadata)
    return tracker(
        sender_id=TELEGRAM_USER,
        slots={"session_started_metadata": metadata, **(slots or {})},
        latest_message=message,
    )


def _linking(shop: Shop) -> AccountLinking:
    return AccountLinking(shop.sessions)


def _anna(shop: Shop) -> Customer:
    customer_id = add_customer(shop.sessions, email="anna@example.com", first_name="Anna")
    return Customer(customer_id, "anna@example.com")


async def test_a_valid_code_connects_the_chat_and_sets_the_customer(shop: Shop) -> None:
    anna = _anna(shop)
    code = _linking(shop).issue_code(anna.id).code
    events, dispatcher = await run(ActionLinkAccount(), _link_tracker(code))
    assert texts(dispatcher) == ["You're connected, Anna — ask me about your orders here too."]
    assert events == [
        SlotSet("customer_id", str(anna.id)),
        SlotSet("customer_name", "Anna"),
        SlotSet("link_code", None),
    ]
    linked = shop.repo.customer_for_sender(TELEGRAM_USER, "telegram")
    assert linked is not None and linked.id == anna.id


async def test_linking_as_another_customer_forgets_the_previous_ones_order(shop: Shop) -> None:
    anna = _anna(shop)
    ben = add_customer(shop.sessions, email="ben@example.com", first_name="Ben")
    add_identity(shop.sessions, TELEGRAM_USER, ben, channel="telegram")
    code = _linking(shop).issue_code(anna.id).code
    slots = {"customer_id": str(ben), "customer_name": "Ben", "order_number": "10234"}
    events, _ = await run(ActionLinkAccount(), _link_tracker(code, slots=slots))
    assert SlotSet("customer_id", str(anna.id)) in events
    assert SlotSet("order_number", None) in events


async def test_a_code_typed_in_lower_case_connects_too(shop: Shop) -> None:
    anna = _anna(shop)
    code = _linking(shop).issue_code(anna.id).code
    _, dispatcher = await run(ActionLinkAccount(), _link_tracker(code.lower()))
    assert texts(dispatcher) == [words.linked("Anna")]


async def test_a_used_code_is_refused_kindly(shop: Shop) -> None:
    anna = _anna(shop)
    code = _linking(shop).issue_code(anna.id).code
    _linking(shop).redeem(code, "telegram", "telegram-1")
    events, dispatcher = await run(ActionLinkAccount(), _link_tracker(code))
    assert texts(dispatcher) == [words.link_refused(LinkOutcome.USED)]
    assert "already been used" in texts(dispatcher)[0]
    assert events == [SlotSet("link_code", None)]
    assert shop.repo.customer_for_sender(TELEGRAM_USER, "telegram") is None


async def test_an_expired_code_is_refused_kindly(shop: Shop) -> None:
    anna = _anna(shop)
    code = _linking(shop).issue_code(anna.id).code
    with shop.sessions.begin() as s:
        s.execute(update(LinkCode).values(expires_at=LinkCode.created_at))
    _, dispatcher = await run(ActionLinkAccount(), _link_tracker(code))
    assert "expired" in texts(dispatcher)[0]
    assert shop.repo.customer_for_sender(TELEGRAM_USER, "telegram") is None


async def test_an_unknown_code_is_refused_and_guessing_is_limited(shop: Shop) -> None:
    anna = _anna(shop)
    for _ in range(MAX_FAILURES):
        _, dispatcher = await run(ActionLinkAccount(), _link_tracker("WXYZ2345"))
        assert texts(dispatcher) == [words.link_refused(LinkOutcome.UNKNOWN)]
    code = _linking(shop).issue_code(anna.id).code
    _, dispatcher = await run(ActionLinkAccount(), _link_tracker(code))
    assert "try again in an hour" in texts(dispatcher)[0]
    assert shop.repo.customer_for_sender(TELEGRAM_USER, "telegram") is None


async def test_a_code_sent_in_the_web_chat_links_nothing(shop: Shop) -> None:
    anna = _anna(shop)
    code = _linking(shop).issue_code(anna.id).code
    web = {"channel": "web"}
    _, dispatcher = await run(
        ActionLinkAccount(), _link_tracker(code, sender_id="web-abc", metadata=web)
    )
    assert texts(dispatcher) == [words.LINK_ONLY_IN_TELEGRAM]
    assert shop.repo.customer_for_sender("web-abc", "telegram") is None
    # The code was not spent: it still works in Telegram.
    assert _linking(shop).redeem(code, "telegram", TELEGRAM_USER).outcome is LinkOutcome.LINKED


async def test_asking_to_link_without_a_code_in_the_web_chat_says_where_to_get_one(
    shop: Shop,
) -> None:
    web = {"channel": "web"}
    events, dispatcher = await run(
        ActionLinkAccount(), _link_tracker(None, sender_id="web-abc", metadata=web)
    )
    assert texts(dispatcher) == [words.LINK_HOW]
    assert "account page" in words.LINK_HOW and "link_code" not in words.LINK_HOW
    assert events == [SlotSet("link_code", None)]


async def test_a_telegram_guest_without_a_code_is_offered_one_by_email(shop: Shop) -> None:
    events, dispatcher = await run(ActionLinkAccount(), _link_tracker(None))
    # The form's question (action_ask_link_email) says it; the slot starts the form.
    assert texts(dispatcher) == []
    assert events == [SlotSet("link_by_email", True), SlotSet("link_code", None)]


async def test_a_linked_telegram_customer_without_a_code_is_told_where_to_get_one(
    shop: Shop,
) -> None:
    anna = _anna(shop)
    slots = {"customer_id": str(anna.id), "customer_name": "Anna", "link_by_email": True}
    events, dispatcher = await run(ActionLinkAccount(), _link_tracker(None, slots=slots))
    assert texts(dispatcher) == [words.LINK_HOW]
    assert events == [SlotSet("link_by_email", None), SlotSet("link_code", None)]


async def test_unlinking_makes_the_chat_a_guests_again(shop: Shop) -> None:
    anna = _anna(shop)
    _linking(shop).redeem(_linking(shop).issue_code(anna.id).code, "telegram", TELEGRAM_USER)
    slots = {"customer_id": str(anna.id), "customer_name": "Anna", "order_number": "10234"}
    events, dispatcher = await run(ActionUnlinkAccount(), _unlink_tracker(slots=slots))
    assert texts(dispatcher) == [words.UNLINKED]
    assert SlotSet("customer_id", None) in events and SlotSet("customer_name", None) in events
    assert SlotSet("order_number", None) in events
    assert shop.repo.customer_for_sender(TELEGRAM_USER, "telegram") is None


async def test_unlinking_an_unlinked_chat_says_there_is_nothing_to_undo(shop: Shop) -> None:
    _, dispatcher = await run(ActionUnlinkAccount(), _unlink_tracker())
    assert texts(dispatcher) == [words.NOTHING_TO_UNLINK]


async def test_unlink_in_the_web_chat_points_to_telegram(shop: Shop, anna: Customer) -> None:
    events, dispatcher = await run(
        ActionUnlinkAccount(), _unlink_tracker(metadata={"channel": "web"})
    )
    assert texts(dispatcher) == [words.UNLINK_ONLY_IN_TELEGRAM]
    assert events == []
