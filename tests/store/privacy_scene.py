"""A shop where one customer, Annabel Quist, has left a trace in every table, and Ben has too.

Used by the erasure, export and retention tests: a migrated SQLite shop database and a
tracker store with Rasa's ``events`` schema on another SQLite file, as in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session, sessionmaker

from console.models import (
    AuditEntry,
    ConversationNote,
    ConversationReview,
    ConversationTag,
    HandoffMessage,
    NluCorrection,
)
from promotions.models import PromoCampaign, PromoCoupon, PromoExposure
from promotions.repository import PromotionRepository
from store.models import ChatSession, Handoff, SessionOutcome
from store.tracker_store import create_schema, events
from tests.actions.offer_helpers import campaign
from tests.factories import (
    add_customer,
    add_event,
    add_identity,
    add_order,
    add_return,
    migrated_store,
)

NOW = datetime(2024, 4, 10, 12, 0)
ANNA_EMAIL = "annabel.quist@example.org"
ANNA_NAME = ("Annabel", "Quist")
ANNA_REF = "shop-cust-77aa"
CAMPAIGN = "welcome-back"
# A browser both Anna and Ben chatted on: the sender id stays on Ben's session.
SHARED_SENDER = "web-shared-computer"


@dataclass
class Scene:
    """The two databases and the known values the tests look for."""

    sessions: sessionmaker[Session]
    tracker_url: str
    anna: int
    ben: int
    anna_senders: tuple[str, ...]
    ben_sender: str
    anna_order: str
    guest_order: str
    coupon_code: str
    tracker_event_id: int


def tracker_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    create_schema(engine)
    engine.dispose()
    return url


def add_tracker_events(
    url: str, sender: str, items: list[tuple[str, dict[str, Any], float]]
) -> list[int]:
    """Insert events the way Rasa stores them: type, JSON data, epoch timestamp."""
    engine = create_engine(url)
    ids = []
    with engine.begin() as conn:
        for type_name, data, ts in items:
            result = conn.execute(
                insert(events).values(
                    sender_id=sender,
                    type_name=type_name,
                    timestamp=ts,
                    intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                    action_name=data.get("name") if type_name == "action" else None,
                    data=json.dumps({"event": type_name, "timestamp": ts, **data}),
                )
            )
            ids.append(result.inserted_primary_key[0])
    engine.dispose()
    return ids


def epoch(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1)).total_seconds()


def conversation(
    customer_id: int | None, email: str, first_name: str
) -> list[tuple[str, dict[str, Any], float]]:
    """A short chat as Rasa stores it: the profile slots, a message with the e-mail, a reply."""
    ts = epoch(NOW - timedelta(days=1))
    return [
        ("action", {"name": "action_session_start"}, ts),
        ("slot", {"name": "customer_id", "value": customer_id}, ts + 1),
        ("slot", {"name": "customer_name", "value": first_name}, ts + 2),
        (
            "user",
            {"text": f"my email is {email}", "parse_data": {"intent": {"name": "inform"}}},
            ts + 3,
        ),
        ("bot", {"text": f"Thanks {first_name}!"}, ts + 4),
    ]


def build(tmp_path: Path) -> Scene:
    sessions = migrated_store(tmp_path)
    url = tracker_url(tmp_path)
    anna = add_customer(
        sessions, email=ANNA_EMAIL, first_name=ANNA_NAME[0], last_name=ANNA_NAME[1],
        city="Zwolle", external_ref=ANNA_REF, marketing_consent=True,
    )  # fmt: skip
    ben = add_customer(sessions, email="ben@example.com", first_name="Ben", last_name="Hart")
    order = add_order(
        sessions, customer_id=anna, placed_at=NOW - timedelta(days=3), coupon_code="CODE-ANNABEL"
    )
    add_order(sessions, customer_id=anna, placed_at=NOW - timedelta(days=40))
    guest = add_order(sessions, email=ANNA_EMAIL.upper(), placed_at=NOW - timedelta(days=50))
    add_return(sessions, order, reason="It did not fit Annabel Quist at all")
    add_event(sessions, anna, "search", query="red shoes", at=NOW - timedelta(days=2))
    add_order(sessions, customer_id=ben, placed_at=NOW - timedelta(days=5))

    web, telegram, guest_sender = "web-anna-1", "tg-anna-2", "guest-anna-3"
    ben_sender = "web-ben-1"
    add_identity(sessions, web, anna)
    add_identity(sessions, telegram, anna, channel="telegram")
    add_identity(sessions, ben_sender, ben)

    promos = PromotionRepository(sessions)
    promos.save_campaign_data(campaign(CAMPAIGN, ["returning_session_start"]))
    with sessions() as s, s.begin():
        campaign_id = s.query(PromoCampaign.id).filter_by(key=CAMPAIGN).scalar()
        chats = {}
        for sender, customer in (
            (web, anna),
            (telegram, anna),
            (guest_sender, None),
            (ben_sender, ben),
        ):
            chat = ChatSession(
                sender_id=sender, customer_id=customer, channel="web",
                started_at=NOW - timedelta(days=1), last_activity_at=NOW - timedelta(days=1),
                turns=3, intents=["greet"],
            )  # fmt: skip
            s.add(chat)
            s.flush()
            chats[sender] = chat.id
        # Anna, then Ben, chatted on one shared computer: the later session is his.
        for customer, at in ((anna, NOW - timedelta(days=9)), (ben, NOW)):
            s.add(
                ChatSession(
                    sender_id=SHARED_SENDER, customer_id=customer, channel="web", started_at=at,
                    last_activity_at=at, turns=1, intents=["greet"],
                )
            )  # fmt: skip
        s.add(SessionOutcome(session_id=chats[web], kind="offer_shown", ref=CAMPAIGN, at=NOW))
        s.add(
            SessionOutcome(
                session_id=chats[guest_sender], kind="order_looked_up", ref=guest.number, at=NOW
            )
        )
        # Ben asked about Anna's order (and was refused): his chat is his, not hers.
        s.add(
            SessionOutcome(
                session_id=chats[ben_sender], kind="order_lookup_refused", ref=order.number, at=NOW
            )
        )
        s.add(
            ConversationReview(
                session_id=chats[web],
                state="reviewed",
                updated_at=NOW,
                updated_by="agent@shop.test",
            )
        )
        s.add(ConversationTag(session_id=chats[web], tag="vip"))
        s.add(
            ConversationNote(
                session_id=chats[web],
                author_email="agent@shop.test",
                text="Annabel was upset",
                at=NOW,
            )
        )
        handoff = Handoff(
            session_id=chats[web], sender_id=web, customer_id=anna, reason="Annabel wants a human",
            status="closed", created_at=NOW,
        )  # fmt: skip
        s.add(handoff)
        s.flush()
        s.add(
            HandoffMessage(
                handoff_id=handoff.id, author="customer", text=f"I am {ANNA_EMAIL}", at=NOW
            )
        )
        for sender, customer, name in ((web, anna, "Annabel"), (ben_sender, ben, "Ben")):
            exposure = PromoExposure(
                customer_id=customer, campaign_id=campaign_id, arm="variant", variant_key="a",
                trigger="returning_session_start", sender_id=sender, chat_session_id=chats[sender],
                message=f"Welcome back {name}! 10% off", at=NOW - timedelta(days=20),
                response="accepted", responded_at=NOW - timedelta(days=20),
            )  # fmt: skip
            s.add(exposure)
            s.flush()
            s.add(
                PromoCoupon(
                    code=f"CODE-{name.upper()}", exposure_id=exposure.id, customer_id=customer,
                    campaign_id=campaign_id, variant_key="a", sender_id=sender,
                    chat_session_id=chats[sender], kind="percent", value=10, min_basket=20,
                    currency="GBP", issued_at=NOW - timedelta(days=20),
                    expires_at=NOW + timedelta(days=20),
                    redeemed_at=NOW - timedelta(days=3) if customer == anna else None,
                    order_number=order.number if customer == anna else None,
                )
            )  # fmt: skip

    anna_events = add_tracker_events(url, web, conversation(anna, ANNA_EMAIL, "Annabel"))
    add_tracker_events(url, telegram, conversation(anna, ANNA_EMAIL, "Annabel"))
    add_tracker_events(url, guest_sender, conversation(None, ANNA_EMAIL, "there"))
    # A chat the store never recorded, linked only by the customer_id slot Rasa kept.
    add_tracker_events(
        url, "web-anna-unrecorded", conversation(anna, "someone@else.test", "Annabel")
    )
    # A guest who gave her e-mail for an order: linked by the order_email slot.
    add_tracker_events(
        url, "guest-anna-4", [("slot", {"name": "order_email", "value": ANNA_EMAIL}, epoch(NOW))]
    )
    add_tracker_events(url, ben_sender, conversation(ben, "ben@example.com", "Ben"))
    user_event = anna_events[3]
    with sessions() as s, s.begin():
        s.execute(
            insert(NluCorrection).values(
                tracker_event_id=user_event, sender_id=web, text=f"my email is {ANNA_EMAIL}",
                predicted_intent="inform", confidence=0.4, intent="give_email", message_at=NOW,
                corrected_by="agent@shop.test", corrected_at=NOW,
            )
        )  # fmt: skip
        s.add(
            AuditEntry(
                at=NOW,
                actor_email="agent@shop.test",
                action="nlu_corrected",
                target=f"message {user_event}",
                detail={"intent": "give_email"},
            )
        )
        s.add(
            AuditEntry(
                at=NOW,
                actor_email="agent@shop.test",
                action="note_added",
                target=f"conversation {chats[web]}",
                detail={"chars": 17},
            )
        )
        s.add(
            AuditEntry(
                at=NOW,
                actor_email="agent@shop.test",
                action="review_updated",
                target=f"conversation {chats[ben_sender]}",
                detail={"state": "new"},
            )
        )
    return Scene(
        sessions=sessions, tracker_url=url, anna=anna, ben=ben,
        anna_senders=(web, telegram, guest_sender, "web-anna-unrecorded", "guest-anna-4"),
        ben_sender=ben_sender, anna_order=order.number, guest_order=guest.number,
        coupon_code="CODE-ANNABEL", tracker_event_id=user_event,
    )  # fmt: skip
