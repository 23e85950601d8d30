"""A returning customer is offered a coupon at session start, takes it, and it counts."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from concierge.settings import ROOT
from promotions.campaigns import GlobalSettings
from promotions.models import PromoCoupon
from promotions.repository import PromotionRepository
from promotions.results import campaign_results
from store.db import make_engine, make_session_factory
from tests.actions.test_promotion_actions import campaign
from tests.factories import add_customer, add_order
from tests.integration.conftest import Chat

pytestmark = pytest.mark.integration


def returning_customer_with_a_welcome_campaign(stack, repo, first_name: str):
    """A consenting customer with an order and an earlier chat, a session-start campaign,
    and a new chat of theirs: (sessions, campaign key, customer id, chat)."""
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    promos = PromotionRepository(sessions)
    promos.save_settings(GlobalSettings(holdout_share=0.0, max_offers_per_day=5))
    key = f"chat-{first_name.lower()}-{uuid.uuid4().hex[:6]}"
    promos.save_campaign_data(campaign(key, ["returning_session_start"]))
    customer = add_customer(
        sessions,
        email=f"{first_name.lower()}-{key}@example.com",
        first_name=first_name,
        marketing_consent=True,
    )
    add_order(sessions, customer_id=customer)
    earlier = f"web-{uuid.uuid4().hex[:12]}"
    repo.start_session(earlier, customer, "web")
    repo.end_session(earlier)
    chat = Chat(stack, f"web-{uuid.uuid4().hex[:12]}")
    repo.link_identity("web", chat.sender_id, customer)
    return sessions, key, customer, chat


def test_returning_customer_accepts_the_session_start_offer_and_the_code_counts(stack, repo):
    sessions, key, dora, chat = returning_customer_with_a_welcome_campaign(stack, repo, "Dora")
    replies = chat.say("hi")
    offers = [r for r in replies if r.get("buttons")]
    assert len(offers) == 1, replies
    assert offers[0]["text"].startswith("Welcome back Dora! 10% off")
    assert [b["payload"] for b in offers[0]["buttons"]] == [
        "/accept_offer",
        "/decline_offer",
        "/stop_offers",
    ]

    accepted = chat.text("/accept_offer")
    assert accepted.startswith("Your code is "), accepted
    code = accepted.removeprefix("Your code is ").strip().rstrip(".")
    with sessions() as s:
        coupon = s.scalar(select(PromoCoupon).where(PromoCoupon.code == code))
        assert coupon is not None and coupon.customer_id == dora
    kinds = [o.kind for o in repo.current_session(chat.sender_id).outcomes]
    assert kinds[:1] == ["offer_shown"] and {"offer_accepted", "coupon_issued"} <= set(kinds)

    [result] = [c for c in campaign_results(sessions).campaigns if c.key == key]
    assert (result.exposed, result.accepted) == (1, 1)
    cli = subprocess.run(
        [sys.executable, "-m", "promotions", "--db", stack.settings.db_url, "results", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    [reported] = [c for c in json.loads(cli.stdout)["campaigns"] if c["key"] == key]
    assert reported["accepted"] == 1


def test_customer_can_stop_offers_in_their_own_words(stack, repo):
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    erin = add_customer(sessions, email=f"erin-{uuid.uuid4().hex[:6]}@example.com")
    chat = Chat(stack, f"web-{uuid.uuid4().hex[:12]}")
    repo.link_identity("web", chat.sender_id, erin)
    reply = chat.text("stop sending me offers")
    assert "won't send you any more offers" in reply
    assert repo.get_customer(erin).offers_opt_out is True


def test_a_typed_yes_answers_the_offer_just_made_and_a_later_yes_does_not(stack, repo):
    sessions, _, fay, chat = returning_customer_with_a_welcome_campaign(stack, repo, "Fay")
    assert [r for r in chat.say("hello") if r.get("buttons")], "no offer at session start"
    accepted = chat.text("yes")
    assert accepted.startswith("Your code is "), accepted
    # A second "yes" is not about the offer any more: no second coupon, a plain answer.
    assert chat.text("yes") == "Great! What else can I help you with?"
    with sessions() as s:
        coupons = s.scalars(select(PromoCoupon).where(PromoCoupon.customer_id == fay)).all()
    assert len(coupons) == 1
