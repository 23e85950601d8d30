"""Accepting an offer re-checks it: the campaign, the customer's opt-out, the shown variant.

Between the moment an offer is shown and the customer's "yes", a marketer may pause, end
or edit the campaign, the customer may opt out, and other customers may spend its coupon
budget. Each test shows an offer, changes one of those, then accepts, on a real SQLite file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import GlobalSettings
from promotions.decision import OfferContext
from promotions.models import PromoCampaign, PromoCoupon, PromoExposure
from promotions.replies import ReplyStatus
from promotions.repository import PromotionRepository
from promotions.service import OfferReply, PromotionService
from promotions.triggers import Trigger
from store.db import make_engine, make_session_factory, upgrade
from store.models import Customer
from tests.factories import add_customer, sqlite_url
from tests.promotions.conftest import FakeClock, campaign_dict, make_campaign
from tests.promotions.postgres import throwaway_cluster, unavailable_reason

RETURNING = OfferContext(Trigger.RETURNING_SESSION_START)


@pytest.fixture
def repo(sessions: sessionmaker[Session], clock: FakeClock) -> PromotionRepository:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    return repo


@pytest.fixture
def service(
    repo: PromotionRepository, sessions: sessionmaker[Session], clock: FakeClock
) -> PromotionService:
    repo.save_campaign(make_campaign("spring"))
    return PromotionService(sessions, clock=clock)


def coupons(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(PromoCoupon)) or 0


def response_of(sessions: sessionmaker[Session], exposure_id: int | None) -> str | None:
    with sessions() as s:
        exposure = s.get(PromoExposure, exposure_id)
        assert exposure is not None
        return exposure.response


def shown(service: PromotionService, customer_id: int) -> int:
    """Show the customer the offer; its exposure id."""
    offer = service.offer_for(customer_id, RETURNING, sender_id=f"web-{customer_id}")
    assert offer.shows_offer and offer.exposure_id is not None
    return offer.exposure_id


def assert_refused(reply: OfferReply, status: ReplyStatus) -> None:
    assert (reply.status, reply.coupon, reply.text) == (status, None, None)


@pytest.mark.parametrize("status", ["paused", "ended", "draft"])
def test_accepting_after_the_campaign_was_stopped_issues_no_coupon(
    service: PromotionService,
    repo: PromotionRepository,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    status: str,
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    exposure_id = shown(service, anna)
    repo.set_status("spring", status)
    clock.advance(minutes=2)
    assert_refused(service.accept(anna), ReplyStatus.OFFER_WITHDRAWN)
    assert coupons(sessions) == 0
    # The answer is recorded: the customer said yes, the shop could not honour it.
    assert response_of(sessions, exposure_id) == "refused"


def test_accepting_after_the_campaign_ended_by_its_dates_issues_no_coupon(
    repo: PromotionRepository, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo.save_campaign(make_campaign("weekend", ends_at=(clock.now + timedelta(hours=1))))
    service = PromotionService(sessions, clock=clock)
    anna = add_customer(sessions, marketing_consent=True)
    shown(service, anna)
    clock.advance(hours=2)  # still inside the 48 h an offer stays open
    assert_refused(service.accept(anna), ReplyStatus.OFFER_WITHDRAWN)
    assert coupons(sessions) == 0


def test_accepting_after_opting_out_issues_no_coupon(
    service: PromotionService, repo: PromotionRepository, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    exposure_id = shown(service, anna)
    repo.set_opt_out(anna, True)  # e.g. from the account page, or another channel
    assert_refused(service.accept(anna), ReplyStatus.OFFERS_OFF)
    assert coupons(sessions) == 0
    assert response_of(sessions, exposure_id) == "refused"


def test_accepting_after_withdrawing_marketing_consent_issues_no_coupon(
    service: PromotionService, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    shown(service, anna)
    with sessions.begin() as s:
        customer = s.get(Customer, anna)
        assert customer is not None
        customer.marketing_consent = False
    assert_refused(service.accept(anna), ReplyStatus.OFFERS_OFF)
    assert coupons(sessions) == 0


def test_the_customer_gets_the_variant_as_shown_when_a_marketer_edits_it_before_the_yes(
    service: PromotionService, repo: PromotionRepository, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    offer = service.offer_for(anna, RETURNING)
    assert offer.text == "Hi Anna, take 10% off!"
    edited = campaign_dict("spring")
    edited["variants"] = [
        {
            "key": "a",
            "weight": 1,
            "template": "Hi {{ first_name }}, take {{ discount }} off!",
            "accepted_template": "Changed terms: {{ code }}",
            "coupon": {"kind": "amount", "value": 50, "min_basket": 500, "validity_days": 1},
        }
    ]
    repo.save_campaign_data(edited)

    reply = service.accept(anna)
    assert reply.status == ReplyStatus.ISSUED and reply.coupon is not None
    spec = reply.coupon.spec
    assert (spec.kind, spec.value, spec.min_basket, spec.validity_days) == ("percent", 10, 20, 7)
    assert reply.text is not None and "Changed terms" not in reply.text
    assert reply.coupon.code in reply.text and "10% off" in reply.text
    with sessions() as s:
        row = s.scalar(select(PromoCoupon))
        assert row is not None and (row.kind, row.value, row.min_basket) == ("percent", 10, 20)


def test_the_shown_variant_is_honoured_even_when_it_was_removed_from_the_campaign(
    service: PromotionService, repo: PromotionRepository, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    shown(service, anna)
    edited = campaign_dict("spring")
    edited["variants"] = [
        {"key": "b", "weight": 1, "template": "Free delivery!", "coupon": None},
    ]
    repo.save_campaign_data(edited)
    reply = service.accept(anna)
    assert reply.status == ReplyStatus.ISSUED and reply.coupon is not None
    assert (reply.coupon.variant_key, reply.coupon.spec.value) == ("a", 10)


def test_the_shown_spec_is_stored_on_the_exposure(
    service: PromotionService, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    exposure_id = shown(service, anna)
    with sessions() as s:
        exposure = s.get(PromoExposure, exposure_id)
        assert exposure is not None and exposure.offer_spec is not None
        assert exposure.offer_spec["variant"] == "a"
        assert exposure.offer_spec["coupon"]["value"] == 10
        assert "accepted_template" in exposure.offer_spec


def test_a_refused_acceptance_can_be_taken_once_the_campaign_is_resumed(
    service: PromotionService, repo: PromotionRepository, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    exposure_id = shown(service, anna)
    repo.set_status("spring", "paused")
    assert service.accept(anna).status == ReplyStatus.OFFER_WITHDRAWN
    repo.set_status("spring", "active")
    assert service.accept(anna).status == ReplyStatus.ISSUED
    assert response_of(sessions, exposure_id) == "accepted"


def test_a_second_yes_after_the_campaign_was_paused_repeats_the_code_already_issued(
    service: PromotionService, repo: PromotionRepository, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    shown(service, anna)
    first = service.accept(anna)
    repo.set_status("spring", "paused")
    again = service.accept(anna)
    assert again.status == ReplyStatus.ALREADY_ISSUED
    assert first.coupon is not None and again.coupon is not None
    assert again.coupon.code == first.coupon.code
    assert coupons(sessions) == 1


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[str]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no throwaway PostgreSQL on this machine: {reason}")
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def race_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty shop database: a SQLite file, then a real PostgreSQL server."""
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_cluster")
    )
    upgrade(url)
    return url


def test_twenty_parallel_accepts_against_a_budget_of_five_issue_exactly_five(
    race_url: str, clock: FakeClock
) -> None:
    racers = 20
    engine = make_engine(race_url)
    sessions = make_session_factory(engine)
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    repo.save_campaign(make_campaign("tiny", caps={"max_per_customer": 1, "coupon_budget": 5}))
    shower = PromotionService(sessions, clock=clock)
    customers = [add_customer(sessions, marketing_consent=True) for _ in range(racers)]
    for customer in customers:
        shown(shower, customer)  # every offer is shown before anyone accepts
    barrier = threading.Barrier(racers, timeout=30)
    replies: dict[int, OfferReply] = {}
    errors: list[BaseException] = []

    def accept(customer_id: int) -> None:
        # Its own engine and session per thread, as separate action server workers have.
        own = make_engine(race_url)
        try:
            service = PromotionService(make_session_factory(own), clock=clock)
            barrier.wait()
            replies[customer_id] = service.accept(customer_id)
        except BaseException as exc:  # collected so the test fails with the real error
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=accept, args=(c,)) for c in customers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        statuses = sorted(r.status for r in replies.values())
        assert statuses == [ReplyStatus.BUDGET_SPENT] * 15 + [ReplyStatus.ISSUED] * 5
        assert coupons(sessions) == 5
        with sessions() as s:
            assert s.scalar(select(PromoCampaign.coupons_issued)) == 5
            refused = s.scalar(
                select(func.count())
                .select_from(PromoExposure)
                .where(PromoExposure.response == "refused")
            )
        assert refused == 15
    finally:
        engine.dispose()
