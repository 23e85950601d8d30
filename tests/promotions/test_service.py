"""PromotionService on a real SQLite file: offers, control, accept, decline, opt-out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from promotions.assignment import assign_arm
from promotions.campaigns import GlobalSettings
from promotions.decision import OfferContext
from promotions.models import PromoCoupon, PromoExposure
from promotions.replies import OfferPayload
from promotions.repository import PromotionRepository
from promotions.service import PromotionService
from store.repository import ShopRepository
from tests.factories import add_customer
from tests.promotions.conftest import FakeClock, make_campaign

RETURNING = OfferContext("returning_session_start")


@pytest.fixture
def service(sessions: sessionmaker[Session], clock: FakeClock) -> PromotionService:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(
        GlobalSettings(holdout_share=0.0, max_offers_per_day=1, max_offers_per_week=5)
    )
    repo.save_campaign(make_campaign("spring", caps={"max_per_customer": 5, "cooldown_days": 14}))
    return PromotionService(sessions, clock=clock)


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_offer_is_rendered_with_buttons_and_recorded_with_the_chat_session(
    service: PromotionService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    shop = ShopRepository(sessions, clock=clock)
    chat = shop.start_session("web-abc", anna, "web")
    offer = service.offer_for(str(anna), RETURNING, sender_id="web-abc")
    assert offer.shows_offer
    assert offer.text == "Hi Anna, take 10% off!"
    assert [b["payload"] for b in offer.buttons] == list(OfferPayload)
    with sessions() as s:
        exposure = s.get(PromoExposure, offer.exposure_id)
        assert (exposure.arm, exposure.variant_key, exposure.message) == (
            "variant",
            "a",
            offer.text,
        )
        assert (exposure.sender_id, exposure.chat_session_id) == ("web-abc", chat.id)


def test_preview_records_nothing(
    service: PromotionService, sessions: sessionmaker[Session]
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    assert service.preview(anna, RETURNING).shows_offer
    assert count(sessions, PromoExposure) == 0


def test_guests_and_unknown_customers_get_nothing(service: PromotionService) -> None:
    assert service.offer_for(None, RETURNING).decision.reason == "guest"
    assert service.offer_for("", RETURNING).decision.reason == "guest"
    assert service.offer_for(999_999, RETURNING).decision.reason == "unknown_customer"


def test_control_customer_is_recorded_but_shown_nothing(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    repo.save_campaign(make_campaign("half", control_share=0.5))
    customers = [add_customer(sessions, marketing_consent=True) for _ in range(12)]
    control = next(c for c in customers if assign_arm(c, "half", 0.5, [("a", 1)]) == "control")
    result = PromotionService(sessions, clock=clock).offer_for(control, RETURNING, sender_id="s1")
    assert (result.decision.outcome, result.text, result.buttons) == ("control", None, ())
    with sessions() as s:
        exposure = s.get(PromoExposure, result.exposure_id)
        assert (exposure.arm, exposure.variant_key, exposure.message) == ("control", None, None)


def test_accept_issues_a_coupon_and_asking_again_gives_the_same_code(
    service: PromotionService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    service.offer_for(anna, RETURNING, sender_id="web-1")
    clock.advance(minutes=1)
    first = service.accept(anna)
    second = service.accept(anna)
    assert (first.status, second.status) == ("issued", "already_issued")
    assert first.coupon is not None and second.coupon is not None
    assert first.coupon.code == second.coupon.code
    assert first.coupon.code in first.text and "10% off" in first.text
    assert first.coupon.expires_at == clock.now + timedelta(days=7)
    assert count(sessions, PromoCoupon) == 1
    with sessions() as s:
        coupon = s.scalar(select(PromoCoupon))
        assert (coupon.customer_id, coupon.variant_key, coupon.sender_id) == (anna, "a", "web-1")


def test_concurrent_accepts_of_one_offer_issue_exactly_one_coupon(
    service: PromotionService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    service.offer_for(anna, RETURNING)
    threads_n = 6
    # Every request draws its code only after all of them have checked that no coupon
    # exists yet, so all of them really race for the insert.
    barrier = threading.Barrier(threads_n, timeout=10)
    drawn: list[str] = []

    def racing_code() -> str:
        code = f"RACE-{len(drawn):04d}-{threading.get_ident() % 10_000:04d}"
        drawn.append(code)
        barrier.wait()
        return code

    racer = PromotionService(sessions, clock=clock, code_factory=racing_code)
    replies: list = []
    errors: list[BaseException] = []

    def accept() -> None:
        try:
            replies.append(racer.accept(anna))
        except BaseException as exc:  # collected so the test fails with the real error
            errors.append(exc)

    threads = [threading.Thread(target=accept) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(drawn) == threads_n
    assert sorted(r.status for r in replies) == ["already_issued"] * (threads_n - 1) + ["issued"]
    assert len({r.coupon.code for r in replies}) == 1
    assert count(sessions, PromoCoupon) == 1


def test_colliding_code_is_redrawn(
    service: PromotionService, sessions: sessionmaker[Session]
) -> None:
    codes = iter(["SAME-CODE", "SAME-CODE", "OTHER-CODE"])
    svc = PromotionService(sessions, clock=service.clock, code_factory=lambda: next(codes))
    one, two = (add_customer(sessions, marketing_consent=True) for _ in range(2))
    for customer in (one, two):
        svc.offer_for(customer, RETURNING)
    assert svc.accept(one).coupon.code == "SAME-CODE"
    assert svc.accept(two).coupon.code == "OTHER-CODE"


def test_default_codes_are_long_random_and_unambiguous(
    service: PromotionService, sessions: sessionmaker[Session]
) -> None:
    customers = [add_customer(sessions, marketing_consent=True) for _ in range(20)]
    codes = []
    for c in customers:
        service.offer_for(c, RETURNING)
        codes.append(service.accept(c).coupon.code)
    assert len(set(codes)) == 20
    for code in codes:
        assert len(code) == 14 and code.count("-") == 2
        assert not set(code) & set("01OIL")


def test_coupon_budget_runs_out(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_settings(GlobalSettings(holdout_share=0.0))
    repo.save_campaign(make_campaign("tiny", caps={"max_per_customer": 1, "coupon_budget": 1}))
    service = PromotionService(sessions, clock=clock)
    one, two = (add_customer(sessions, marketing_consent=True) for _ in range(2))
    assert service.offer_for(one, RETURNING).shows_offer
    assert service.offer_for(two, RETURNING).shows_offer  # both shown before either accepted
    assert service.accept(one).status == "issued"
    late = service.accept(two)
    assert (late.status, late.coupon) == ("budget_spent", None)
    three = add_customer(sessions, marketing_consent=True)
    assert service.offer_for(three, RETURNING).decision.passed_over == (("tiny", "budget_spent"),)


def test_decline_starts_the_cooldown(
    service: PromotionService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    service.offer_for(anna, RETURNING)
    assert service.decline(anna).status == "declined"
    clock.advance(days=2)
    assert service.offer_for(anna, RETURNING).decision.passed_over == (("spring", "cooldown"),)
    clock.advance(days=13)
    assert service.offer_for(anna, RETURNING).shows_offer


def test_accept_needs_a_recent_offer(
    service: PromotionService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    assert service.accept(anna).status == "no_offer"
    service.offer_for(anna, RETURNING)
    clock.advance(hours=49)
    assert service.accept(anna).status == "offer_expired"
    assert count(sessions, PromoCoupon) == 0


def test_an_offer_awaits_an_answer_only_while_it_is_open_and_unanswered(
    service: PromotionService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    bob = add_customer(sessions, marketing_consent=True)
    assert not service.awaits_answer(anna) and not service.awaits_answer("guest")
    service.offer_for(anna, RETURNING)
    service.offer_for(bob, RETURNING)
    assert service.awaits_answer(anna) and service.awaits_answer(bob)
    service.accept(anna)
    assert not service.awaits_answer(anna)  # answered: asking again just repeats the code
    clock.advance(hours=49)
    assert not service.awaits_answer(bob)  # expired


def test_opt_out_is_honoured_at_every_moment_and_in_the_shop_profile(
    service: PromotionService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    anna = add_customer(sessions, marketing_consent=True)
    offer = service.offer_for(anna, RETURNING)
    assert service.opt_out(anna).status == "opted_out"
    assert ShopRepository(sessions, clock=clock).get_customer(anna).offers_opt_out is True
    with sessions() as s:
        assert s.get(PromoExposure, offer.exposure_id).response == "opted_out"
    clock.advance(days=30)
    for trigger in ("returning_session_start", "after_order_resolved"):
        assert service.offer_for(anna, OfferContext(trigger)).decision.reason == "opted_out"


def test_hostile_first_name_reaches_the_chat_neutralised(
    service: PromotionService, sessions: sessionmaker[Session]
) -> None:
    mallory = add_customer(
        sessions,
        first_name="<img src=x onerror=alert(1)>[click](http://evil.example)",
        marketing_consent=True,
    )
    text = service.offer_for(mallory, RETURNING).text
    assert text is not None
    assert "<" not in text and "http" not in text and "[" not in text
    assert text.endswith("take 10% off!")
