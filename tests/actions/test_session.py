"""action_session_start, action_greet and action_goodbye on a real shop database."""

from __future__ import annotations

from datetime import UTC, datetime

from rasa_sdk.events import ActionExecuted, BotUttered, SessionStarted, SlotSet
from sqlalchemy import select, update

from actions.session import ActionGoodbye, ActionGreet, ActionSessionStart
from promotions.replies import OfferPayload
from store.models import ChatSession, Outcome
from tests.actions.shop_data import Customer, Shop, days_ago
from tests.actions.trackers import SENDER, load_domain, run, texts, tracker, user
from tests.factories import add_customer, add_identity, add_order, add_return

WEB = {"channel": "web"}


def _session_start_tracker(previous_events: list | None = None, metadata: dict = WEB):
    """What Rasa sends at a session start: the old session's events + the metadata slot."""
    events = [*(previous_events or []), SlotSet("session_started_metadata", metadata)]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return tracker(slots=slots, events=events)


def _earlier_visit(shop: Shop, customer: Customer, matter: dict | None = None) -> None:
    """A finished chat of the same customer from another browser tab (another sender)."""
    shop.repo.start_session("web-earlier-visit", customer.id, "web")
    if matter is not None:
        shop.repo.set_open_matter("web-earlier-visit", matter)
    shop.repo.end_session("web-earlier-visit")


async def test_first_visit_sets_the_customer_without_a_welcome_back(
    shop: Shop, anna: Customer
) -> None:
    events, dispatcher = await run(ActionSessionStart(), _session_start_tracker())
    assert events == [
        SessionStarted(),
        SlotSet("session_started_metadata", WEB),
        SlotSet("customer_id", str(anna.id)),
        SlotSet("customer_name", "Anna"),
        SlotSet("greeted", False),
        ActionExecuted("action_listen"),
    ]
    assert dispatcher.messages == []
    session = shop.repo.current_session(SENDER)
    assert (session.customer_id, session.channel) == (anna.id, "web")
    # No empty session was left behind by the activity bookkeeping.
    assert shop.repo.previous_session(anna.id, session.id) is None


async def test_returning_customer_is_welcomed_back_by_name(shop: Shop, anna: Customer) -> None:
    _earlier_visit(shop, anna)
    events, _ = await run(ActionSessionStart(), _session_start_tracker())
    assert events == [
        SessionStarted(),
        SlotSet("session_started_metadata", WEB),
        SlotSet("customer_id", str(anna.id)),
        SlotSet("customer_name", "Anna"),
        BotUttered(text="Welcome back, Anna!"),
        SlotSet("greeted", True),
        ActionExecuted("action_listen"),
    ]


async def test_returning_customer_is_reminded_of_an_order_delivered_since(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="delivered")
    _earlier_visit(shop, anna, {"kind": "order", "ref": "10234", "status": "shipped"})
    events, _ = await run(ActionSessionStart(), _session_start_tracker())
    assert [e for e in events if e["event"] == "bot"] == [
        BotUttered(text="Welcome back, Anna!"),
        BotUttered(text="Last time you asked about order 10234 — it has now been delivered."),
    ]
    # Delivered is final: nothing is left to remind her of next time.
    assert shop.repo.current_session(SENDER).open_matter is None


async def test_unchanged_open_matter_is_not_mentioned_but_kept_for_next_time(
    shop: Shop, anna: Customer
) -> None:
    add_order(shop.sessions, customer_id=anna.id, number="10234", status="shipped")
    matter = {"kind": "order", "ref": "10234", "status": "shipped"}
    _earlier_visit(shop, anna, matter)
    events, _ = await run(ActionSessionStart(), _session_start_tracker())
    assert [e for e in events if e["event"] == "bot"] == [BotUttered(text="Welcome back, Anna!")]
    assert shop.repo.current_session(SENDER).open_matter == matter


async def test_returning_customer_is_told_a_return_was_refunded(shop: Shop, anna: Customer) -> None:
    order = add_order(shop.sessions, customer_id=anna.id, status="delivered")
    number = add_return(shop.sessions, order, status="refunded")
    _earlier_visit(shop, anna, {"kind": "return", "ref": number, "status": "requested"})
    events, _ = await run(ActionSessionStart(), _session_start_tracker())
    assert (
        BotUttered(text=f"Last time you asked about return {number} — it has now been refunded.")
        in events
    )


async def test_guest_never_inherits_the_previous_customers_identity(shop: Shop) -> None:
    previous = [
        SessionStarted(),
        SlotSet("customer_id", "7"),
        SlotSet("customer_name", "Anna"),
        ActionExecuted("action_listen"),
        user("where is 10234", "order_status"),
        SlotSet("order_number", "10234"),
        SlotSet("order_email", "anna@example.com"),
    ]
    events, dispatcher = await run(ActionSessionStart(), _session_start_tracker(previous))
    assert events == [
        SessionStarted(),
        SlotSet("customer_id", "7"),
        SlotSet("customer_name", "Anna"),
        SlotSet("order_number", "10234"),
        SlotSet("order_email", "anna@example.com"),
        SlotSet("session_started_metadata", WEB),
        SlotSet("customer_id", None),
        SlotSet("customer_name", None),
        SlotSet("order_number", None),
        SlotSet("order_email", None),
        SlotSet("return_number", None),
        SlotSet("greeted", False),
        ActionExecuted("action_listen"),
    ]
    assert dispatcher.messages == []
    assert shop.repo.current_session(SENDER).customer_id is None


async def test_same_customer_keeps_the_order_number_of_the_last_session(
    shop: Shop, anna: Customer
) -> None:
    previous = [
        SessionStarted(),
        SlotSet("customer_id", str(anna.id)),
        SlotSet("order_number", "10234"),
    ]
    events, _ = await run(ActionSessionStart(), _session_start_tracker(previous))
    assert SlotSet("order_number", None) not in events
    assert events[:3] == [
        SessionStarted(),
        SlotSet("customer_id", str(anna.id)),
        SlotSet("order_number", "10234"),
    ]


async def test_slots_are_not_carried_over_when_the_domain_says_so(
    shop: Shop, anna: Customer
) -> None:
    domain = load_domain()
    domain["session_config"]["carry_over_slots_to_new_session"] = False
    previous = [SessionStarted(), SlotSet("order_number", "10234")]
    events, _ = await run(ActionSessionStart(), _session_start_tracker(previous), domain)
    assert events == [
        SessionStarted(),
        SlotSet("customer_id", str(anna.id)),
        SlotSet("customer_name", "Anna"),
        SlotSet("greeted", False),
        ActionExecuted("action_listen"),
    ]


async def test_customer_is_resolved_on_the_channel_of_the_session_metadata(shop: Shop) -> None:
    zoe = add_customer(shop.sessions, email="zoe@example.com", first_name="Zoe")
    add_identity(shop.sessions, SENDER, zoe, channel="whatsapp")
    t = _session_start_tracker(metadata={"channel": "whatsapp"})
    events, _ = await run(ActionSessionStart(), t)
    assert SlotSet("customer_name", "Zoe") in events
    assert shop.repo.current_session(SENDER).channel == "whatsapp"


async def test_ending_session_gets_its_final_turns_and_intents(shop: Shop, anna: Customer) -> None:
    shop.repo.start_session(SENDER, anna.id, "web")
    previous = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        user("hi", "greet"),
        ActionExecuted("action_greet"),
        ActionExecuted("action_listen"),
        user("how much is delivery", "faq", retrieval_key="faq/shipping_costs"),
    ]
    await run(ActionSessionStart(), _session_start_tracker(previous))
    new = shop.repo.current_session(SENDER)
    old = shop.repo.previous_session(anna.id, new.id)
    assert old.ended_at is not None
    assert (old.turns, list(old.intents)) == (2, ["greet", "faq/shipping_costs"])


async def test_session_start_with_the_database_down_starts_a_silent_guest_session(
    database_down: None,
) -> None:
    previous = [SessionStarted(), SlotSet("customer_id", "3"), SlotSet("customer_name", "Anna")]
    events, dispatcher = await run(ActionSessionStart(), _session_start_tracker(previous))
    assert events == [
        SessionStarted(),
        SlotSet("customer_id", "3"),
        SlotSet("customer_name", "Anna"),
        SlotSet("session_started_metadata", WEB),
        SlotSet("customer_id", None),
        SlotSet("customer_name", None),
        SlotSet("order_number", None),
        SlotSet("order_email", None),
        SlotSet("return_number", None),
        SlotSet("greeted", False),
        ActionExecuted("action_listen"),
    ]
    assert dispatcher.messages == []


async def test_greet_uses_the_customers_name(shop: Shop, anna: Customer) -> None:
    t = tracker(slots={"customer_id": str(anna.id), "customer_name": "Anna"})
    events, dispatcher = await run(ActionGreet(), t)
    assert events == [SlotSet("greeted", True)]
    assert texts(dispatcher) == ["Hello, Anna! How can I help you today?"]


def opened_with(*said: dict) -> list[dict]:
    """A session whose start said ``said``, then the customer's first message ("hi")."""
    return [
        ActionExecuted("action_session_start"),
        {"event": "session_started"},
        *said,
        ActionExecuted("action_listen"),
        user("hi", "greet"),
    ]


async def test_greet_after_the_welcome_back_of_the_same_reply_only_asks_how_to_help(
    shop: Shop, anna: Customer
) -> None:
    t = tracker(
        slots={"customer_id": str(anna.id), "customer_name": "Anna"},
        events=opened_with(BotUttered(text="Welcome back, Anna!")),
    )
    events, dispatcher = await run(ActionGreet(), t)
    assert events == [SlotSet("greeted", True)]
    assert texts(dispatcher) == ["How can I help you today?"]


async def test_greet_after_a_welcome_with_an_offer_leaves_the_offer_as_the_last_word(
    shop: Shop, anna: Customer
) -> None:
    offer = BotUttered(
        text="Welcome back Anna! 10% off — want the code?",
        data={"buttons": [{"title": "Yes please", "payload": OfferPayload.ACCEPT}]},
    )
    t = tracker(
        slots={"customer_id": str(anna.id), "customer_name": "Anna"},
        events=opened_with(BotUttered(text="Welcome back, Anna!"), offer),
    )
    events, dispatcher = await run(ActionGreet(), t)
    assert events == [SlotSet("greeted", True)]
    assert dispatcher.messages == []


async def test_a_second_hello_later_in_the_session_is_answered_in_full(
    shop: Shop, anna: Customer
) -> None:
    t = tracker(
        slots={"customer_id": str(anna.id), "customer_name": "Anna"},
        events=[
            *opened_with(BotUttered(text="Welcome back, Anna!")),
            BotUttered(text="How can I help you today?"),
            user("hello again", "greet"),
        ],
    )
    _, dispatcher = await run(ActionGreet(), t)
    assert texts(dispatcher) == ["Hello, Anna! How can I help you today?"]


async def test_greet_a_guest_without_a_name(shop: Shop) -> None:
    events, dispatcher = await run(ActionGreet(), tracker())
    assert events == [SlotSet("greeted", True)]
    assert texts(dispatcher) == ["Hello! How can I help you today?"]


async def test_goodbye_closes_the_session_in_the_history(shop: Shop, anna: Customer) -> None:
    shop.repo.start_session(SENDER, anna.id, "web")
    t = tracker(slots={"customer_id": str(anna.id), "customer_name": "Anna"})
    events, dispatcher = await run(ActionGoodbye(), t)
    assert events == []
    assert texts(dispatcher) == ["Goodbye, Anna — thanks for chatting with us!"]
    assert shop.repo.current_session(SENDER) is None


async def test_greet_with_the_database_down_apologises(database_down: None) -> None:
    events, dispatcher = await run(ActionGreet(), tracker())
    assert events == []
    assert texts(dispatcher) == [
        "I can't reach our order system right now — please try again in a few minutes, "
        "or ask for a human."
    ]


def _session_rows(shop: Shop) -> list[tuple[datetime | None, int]]:
    with shop.sessions() as s:
        return [
            (ended, turns)
            for ended, turns in s.execute(
                select(ChatSession.ended_at, ChatSession.turns)
                .where(ChatSession.sender_id == SENDER)
                .order_by(ChatSession.id)
            ).all()
        ]


def _stamped(event: dict, at: datetime) -> dict:
    return {**event, "timestamp": at.replace(tzinfo=UTC).timestamp()}


async def test_a_first_turn_retried_after_its_rasa_server_died_keeps_one_session(
    shop: Shop, anna: Customer
) -> None:
    # The conversation's tracker was saved with its first action_listen; the session start
    # then ran here, but its Rasa server died before saving the tracker. Another server
    # runs the session start again on the same stored tracker (plus a fresh metadata slot).
    stored = [_stamped(ActionExecuted("action_listen"), days_ago(1 / 86400))]
    retried = _session_start_tracker(stored)
    await run(ActionSessionStart(), retried)
    shop.repo.record_outcome(SENDER, Outcome.FAQ_ANSWERED, "warranty")
    await run(ActionSessionStart(), _session_start_tracker(stored))
    assert _session_rows(shop) == [(None, 0)]
    session = shop.repo.current_session(SENDER)
    assert session.customer_id == anna.id
    # What the lost turn recorded stays, once.
    assert [(o.kind, o.ref) for o in session.outcomes] == [("faq_answered", "warranty")]


async def test_a_first_turn_lost_before_rasa_stored_anything_keeps_one_session(
    shop: Shop, anna: Customer
) -> None:
    # Rasa stores a new conversation's events only when its first turn ends. That turn ran
    # the session start here and was then lost (server died, or the client went away and
    # the turn was cancelled); the retried turn finds the tracker empty again.
    await run(ActionSessionStart(), _session_start_tracker([]))
    shop.repo.record_outcome(SENDER, Outcome.FAQ_ANSWERED, "warranty")
    await run(ActionSessionStart(), _session_start_tracker([]))

    assert _session_rows(shop) == [(None, 0)]
    session = shop.repo.current_session(SENDER)
    assert [(o.kind, o.ref) for o in session.outcomes] == [("faq_answered", "warranty")]


async def test_an_empty_tracker_after_an_old_open_session_starts_a_new_one(
    shop: Shop, anna: Customer
) -> None:
    # Retention deleted the tracker of a conversation whose session row stayed open: the
    # sender's next visit is a new session, not a resumed one.
    shop.repo.start_session(SENDER, anna.id, "web")
    with shop.sessions.begin() as s:
        s.execute(update(ChatSession).values(started_at=days_ago(2 / 24)))

    await run(ActionSessionStart(), _session_start_tracker([]))

    rows = _session_rows(shop)
    assert len(rows) == 2 and rows[0][0] is not None and rows[1][0] is None


async def test_a_new_session_retried_after_its_rasa_server_died_ends_the_old_one_once(
    shop: Shop, anna: Customer
) -> None:
    # The old session (two hours ago) has ended in the tracker's eyes; its new session's
    # start was lost with its Rasa server and is run again.
    shop.repo.start_session(SENDER, anna.id, "web")
    with shop.sessions.begin() as s:
        s.execute(update(ChatSession).values(started_at=days_ago(2 / 24)))
    an_hour_ago = days_ago(1 / 24)
    previous = [
        _stamped(SessionStarted(), an_hour_ago),
        _stamped(ActionExecuted("action_listen"), an_hour_ago),
        _stamped(user("hi", "greet"), an_hour_ago),
        _stamped(ActionExecuted("action_greet"), an_hour_ago),
        _stamped(ActionExecuted("action_listen"), an_hour_ago),
    ]
    await run(ActionSessionStart(), _session_start_tracker(previous))
    await run(ActionSessionStart(), _session_start_tracker(previous))
    rows = _session_rows(shop)
    assert len(rows) == 2, rows
    (old_ended, old_turns), (new_ended, new_turns) = rows
    assert old_ended is not None and old_turns == 1
    # The resumed session did not take the old session's totals.
    assert new_ended is None and new_turns == 0


async def test_a_session_start_after_the_trackers_latest_event_ends_the_open_session(
    shop: Shop, anna: Customer
) -> None:
    # The ordinary case with timestamps: the open session is older than the tracker's
    # latest event, so it ends and a new one starts.
    shop.repo.start_session(SENDER, anna.id, "web")
    with shop.sessions.begin() as s:
        s.execute(update(ChatSession).values(started_at=days_ago(2 / 24)))
    previous = [_stamped(ActionExecuted("action_listen"), days_ago(1 / 24))]
    await run(ActionSessionStart(), _session_start_tracker(previous))
    assert [ended is not None for ended, _ in _session_rows(shop)] == [True, False]
