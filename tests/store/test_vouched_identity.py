"""Linking a chat to the customer a shop's server signed for, by the shop's own customer id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.db import STORE_DIR
from store.models import Identity
from store.policy import load_policy
from store.repository import ShopRepository
from tests.factories import add_customer


def repository(sessions: sessionmaker[Session]) -> ShopRepository:
    return ShopRepository(sessions, policy=load_policy(STORE_DIR / "shop_policy.yml"))


def links(sessions: sessionmaker[Session]) -> list[tuple[str, str, int, str | None]]:
    with sessions() as s:
        rows = s.execute(
            select(
                Identity.channel,
                Identity.channel_user_id,
                Identity.customer_id,
                Identity.external_id,
            )
        )
        return [(channel, user, customer, ext) for channel, user, customer, ext in rows]


def test_vouched_shop_id_links_the_sender_to_that_customer_and_records_the_id(
    sessions: sessionmaker[Session],
) -> None:
    anna = add_customer(sessions, email="anna@example.com", external_ref="shop-17850")
    add_customer(sessions, email="ben@example.com", external_ref="shop-17851")

    customer = repository(sessions).link_vouched_customer("web", "web-abc", "shop-17850")

    assert customer is not None and customer.id == anna
    assert customer.external_ref == "shop-17850"
    assert links(sessions) == [("web", "web-abc", anna, "shop-17850")]


def test_unknown_shop_id_links_nothing(sessions: sessionmaker[Session]) -> None:
    add_customer(sessions, external_ref="shop-1")

    assert repository(sessions).link_vouched_customer("web", "web-abc", "shop-2") is None
    assert links(sessions) == []


def test_customers_without_a_shop_id_cannot_be_vouched_for(
    sessions: sessionmaker[Session],
) -> None:
    add_customer(sessions, external_ref=None)

    assert repository(sessions).link_vouched_customer("web", "web-abc", "") is None
    assert links(sessions) == []
