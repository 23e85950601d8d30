"""Attacks on offer acceptance through the real action server's /webhook (issue 12).

A customer who opted out since an offer was shown says yes anyway, and twenty customers
race for a campaign's last coupons at once. The action server runs as a real process on
loopback (``concierge.stack.Stack`` with only the actions service), called the way Rasa
calls it, token included; each test asserts what the caller got: no code, no coupon row.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from actions import messages
from actions.server import ACTION_TOKEN_HEADER
from concierge.stack import Stack
from promotions.campaigns import GlobalSettings
from promotions.decision import OfferContext
from promotions.models import PromoCampaign, PromoCoupon, PromoExposure
from promotions.replies import OfferPayload, ReplyStatus
from promotions.repository import PromotionRepository
from promotions.service import PromotionService
from promotions.triggers import Trigger
from store.db import make_engine, make_session_factory, upgrade
from tests.actions.offer_helpers import campaign
from tests.actions.trackers import DATA, load_domain
from tests.factories import add_customer
from tests.support.servers import isolated_settings

pytestmark = pytest.mark.integration

RACERS = 20
BUDGET = 5
CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")
RETURNING = OfferContext(Trigger.RETURNING_SESSION_START)


@dataclass(frozen=True)
class ActionServer:
    url: str
    token: str
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    """Only the action server, on its own migrated SQLite shop; stopped by its PID."""
    token = secrets.token_urlsafe(32)
    with pytest.MonkeyPatch.context() as env:
        # The server reads its token from the environment, as in production.
        env.setenv("CONCIERGE_ACTION_TOKEN", token)
        settings = replace(isolated_settings(tmp_path_factory.mktemp("offers")), action_token=token)
        upgrade(settings.db_url)
        engine = make_engine(settings.db_url)
        stack = Stack(settings, services=("actions",))
        stack.start(timeout=180)
    try:
        yield ActionServer(
            f"http://{settings.host}:{settings.action_port}",
            token,
            make_session_factory(engine),
        )
    finally:
        stack.stop()
        engine.dispose()


def shown_offers(
    sessions: sessionmaker[Session], key: str, budget: int | None, n: int
) -> list[int]:
    """A live campaign ``key`` and ``n`` consenting customers who have been shown its offer."""
    repo = PromotionRepository(sessions)
    repo.save_settings(GlobalSettings(holdout_share=0.0, max_offers_per_day=5))
    for earlier in repo.campaigns(statuses=["active"]):  # another test's campaign
        repo.set_status(earlier.key, "ended")
    data = campaign(key, ["returning_session_start"])
    data["caps"] = {"max_per_customer": 1, "cooldown_days": 14, "coupon_budget": budget}
    repo.save_campaign_data(data)
    service = PromotionService(sessions)
    customers = []
    for _ in range(n):
        customer = add_customer(sessions, marketing_consent=True)
        offer = service.offer_for(customer, RETURNING, sender_id=f"web-{key}-{customer}")
        assert offer.shows_offer and offer.decision.campaign_key == key
        customers.append(customer)
    return customers


def accept_call(server: ActionServer, customer_id: int, sender: str) -> tuple[int, Any]:
    """POST Rasa's call of action_accept_offer for a tracker claiming ``customer_id``."""
    state = json.loads((DATA / "order_status_tracker.json").read_text(encoding="utf-8"))
    tracker = copy.deepcopy(state)
    tracker["sender_id"] = sender
    tracker["slots"]["customer_id"] = str(customer_id)
    tracker["events"] = []
    tracker["latest_message"] = {
        "text": OfferPayload.ACCEPT.value,
        "intent": {"name": OfferPayload.ACCEPT.intent, "confidence": 1.0},
        "entities": [],
    }
    payload = {
        "next_action": "action_accept_offer",
        "sender_id": sender,
        "tracker": tracker,
        "domain": load_domain(),
        "version": "3.6.21",
    }
    request = urllib.request.Request(
        # Rasa's action_endpoint sends the token as a header or as ?token=: send both.
        f"{server.url}/webhook?token={server.token}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", ACTION_TOKEN_HEADER: server.token},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def reply_text(answer: Any) -> str:
    return "\n".join(r.get("text") or "" for r in answer["responses"])


def coupons_of(sessions: sessionmaker[Session], key: str) -> int:
    with sessions() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(PromoCoupon)
                .join(PromoCampaign, PromoCoupon.campaign_id == PromoCampaign.id)
                .where(PromoCampaign.key == key)
            )
            or 0
        )


def test_an_opted_out_customer_saying_yes_gets_no_code(server: ActionServer) -> None:
    [customer] = shown_offers(server.sessions, "optout", None, 1)
    PromotionRepository(server.sessions).set_opt_out(customer, True)

    status, answer = accept_call(server, customer, f"web-optout-{customer}")
    assert status == 200, answer
    text = reply_text(answer)
    assert text == messages.offer_reply(ReplyStatus.OFFERS_OFF, None)
    assert not CODE.search(text)
    assert coupons_of(server.sessions, "optout") == 0
    with server.sessions() as s:
        responses = set(s.scalars(select(PromoExposure.response)))
    assert "accepted" not in responses


def test_twenty_parallel_accepts_spend_exactly_the_budget_of_five(server: ActionServer) -> None:
    customers = shown_offers(server.sessions, "race", BUDGET, RACERS)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(lambda c: accept_call(server, c, f"web-race-{c}"), customers))

    assert [status for status, _ in answers] == [200] * RACERS, answers
    texts = [reply_text(answer) for _, answer in answers]
    with_code = [t for t in texts if CODE.search(t)]
    refused = [t for t in texts if t == messages.offer_reply(ReplyStatus.BUDGET_SPENT, None)]
    assert (len(with_code), len(refused)) == (BUDGET, RACERS - BUDGET), texts
    assert coupons_of(server.sessions, "race") == BUDGET
    with server.sessions() as s:
        counted = s.scalar(select(PromoCampaign.coupons_issued).where(PromoCampaign.key == "race"))
        codes = set(s.scalars(select(PromoCoupon.code)))
    assert counted == BUDGET
    # Every code the winners were told is a stored coupon; nobody got a code that is not.
    assert {m.group(0) for t in with_code for m in CODE.finditer(t)} <= codes
