"""Coupons stay exactly counted when two action server processes share one PostgreSQL store.

In the scaled topology each Rasa server may call any action server, so one customer's
"yes" (sent twice by an impatient double tap, a retry after a timeout, or two Rasa
instances) and many customers' "yes" reach different processes at the same moment. Only
the database can keep them apart. Two real action servers (``concierge.stack.Stack``)
on one throwaway PostgreSQL cluster are called the way Rasa calls them, token included.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions import messages
from promotions.models import PromoCampaign, PromoCoupon
from promotions.replies import ReplyStatus
from store.db import make_engine, make_session_factory, upgrade
from tests.promotions.postgres import throwaway_cluster, unavailable_reason
from tests.security.test_offer_acceptance import (
    CODE,
    ActionServer,
    accept_call,
    coupons_of,
    reply_text,
    shown_offers,
)
from tests.store.postgres_helpers import action_servers

pytestmark = [pytest.mark.engines, pytest.mark.integration]

RACERS = 20


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ActionServer]]:
    """Two action servers on one migrated PostgreSQL shop; all stopped by PID afterwards."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no throwaway PostgreSQL on this machine: {reason}")
    with throwaway_cluster() as url:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        root = Path(tmp_path_factory.mktemp("two-action-servers"))
        try:
            with action_servers(url, root, 2) as started:
                yield [ActionServer(base, token, sessions) for base, token in started]
        finally:
            engine.dispose()


def spread(servers: list[ActionServer], n: int) -> list[ActionServer]:
    """Request i goes to server i mod 2: half the racers on each process."""
    return [servers[i % len(servers)] for i in range(n)]


def stored_codes(sessions: sessionmaker[Session], key: str) -> list[str]:
    with sessions() as s:
        return list(
            s.scalars(
                select(PromoCoupon.code)
                .join(PromoCampaign, PromoCoupon.campaign_id == PromoCampaign.id)
                .where(PromoCampaign.key == key)
            )
        )


def test_twenty_parallel_yeses_to_one_offer_on_two_servers_issue_one_coupon(
    servers: list[ActionServer],
) -> None:
    sessions = servers[0].sessions
    [customer] = shown_offers(sessions, "one-offer", None, 1)
    sender = f"web-one-offer-{customer}"

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(
            pool.map(lambda server: accept_call(server, customer, sender), spread(servers, RACERS))
        )

    assert [status for status, _ in answers] == [200] * RACERS, answers
    [code] = stored_codes(sessions, "one-offer")
    texts = [reply_text(answer) for _, answer in answers]
    # Whichever process answered, the customer is told the one code that exists.
    assert [CODE.findall(t) for t in texts] == [[code]] * RACERS, texts
    with sessions() as s:
        counted = s.scalar(
            select(PromoCampaign.coupons_issued).where(PromoCampaign.key == "one-offer")
        )
    assert counted == 1


def test_twenty_customers_on_two_servers_spend_exactly_a_budget_of_five(
    servers: list[ActionServer],
) -> None:
    budget = 5
    sessions = servers[0].sessions
    customers = shown_offers(sessions, "two-servers-race", budget, RACERS)
    calls = list(zip(customers, spread(servers, RACERS), strict=True))

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(lambda c: accept_call(c[1], c[0], f"web-race2-{c[0]}"), calls))

    assert [status for status, _ in answers] == [200] * RACERS, answers
    texts = [reply_text(answer) for _, answer in answers]
    with_code = [t for t in texts if CODE.search(t)]
    refused = [t for t in texts if t == messages.offer_reply(ReplyStatus.BUDGET_SPENT, None)]
    assert (len(with_code), len(refused)) == (budget, RACERS - budget), texts
    assert coupons_of(sessions, "two-servers-race") == budget
    told = {m for t in with_code for m in CODE.findall(t)}
    assert told == set(stored_codes(sessions, "two-servers-race"))
