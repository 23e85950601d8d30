"""Clara, the demo customer who shows the marketing side: lapsed, consenting, returning.

The shop is generated as ``make data`` does (seed 7, 3000 customers, then the promotions
demo history), so a change to the generator, the assignment hash, the sample campaigns or
the simulated history that would hide her welcome-back offer fails here, loudly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from demo_shop.fixtures import (
    ANNA_EMAIL,
    BEN_EMAIL,
    CLARA_EMAIL,
    CLARA_ID,
    DEMO_HINTS,
    GUEST_EMAIL,
)
from demo_shop.generator import DEFAULT_NOW, GenerationReport, generate
from promotions.assignment import CONTROL, assign_arm, in_global_holdout
from promotions.decision import OFFER, OfferContext
from promotions.demo import seed_demo
from promotions.files import SAMPLE_DIR, read_campaign_dir
from promotions.service import PromotionService
from tests.factories import migrated_store

NOW = DEFAULT_NOW
WELCOME_BACK = "welcome-back"


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[GenerationReport, sessionmaker[Session]]:
    """The shop `make data` builds: full-size generation, then the promotions demo."""
    sessions = migrated_store(tmp_path_factory.mktemp("demo"))
    report = generate(sessions, seed=7, now=NOW)
    seed_demo(sessions, seed=7)
    return report, sessions


def rows(sessions: sessionmaker[Session], sql: str, **params: Any) -> list[Any]:
    with sessions() as session:
        return list(session.execute(text(sql), params))


def at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_clara_is_reported_by_name_with_her_fixed_id(generated):
    report, _ = generated
    assert report.fixture_customers["clara"] == {
        "id": CLARA_ID,
        "email": CLARA_EMAIL,
        "name": "Clara Evans",
    }
    assert {"clara_first", "clara_repeat", "clara_last"} <= set(report.fixtures)


def test_customer_ids_have_no_gap_around_claras_chosen_id(generated):
    report, sessions = generated
    ids = [r.id for r in rows(sessions, "SELECT id FROM customers ORDER BY id")]
    assert ids == list(range(1, report.customers + 1))
    emails = [r.email for r in rows(sessions, "SELECT email FROM customers")]
    assert len(set(emails)) == len(emails)
    fixed = rows(
        sessions,
        "SELECT id, email FROM customers WHERE email IN (:a, :b, :c)",
        a=ANNA_EMAIL,
        b=BEN_EMAIL,
        c=CLARA_EMAIL,
    )
    assert sorted((r.id, r.email) for r in fixed) == [
        (1, ANNA_EMAIL),
        (2, BEN_EMAIL),
        (CLARA_ID, CLARA_EMAIL),
    ]


def test_clara_consents_and_last_ordered_about_ninety_days_ago(generated):
    report, sessions = generated
    [clara] = rows(sessions, "SELECT * FROM customers WHERE id = :i", i=CLARA_ID)
    assert clara.first_name == "Clara" and clara.marketing_consent and not clara.offers_opt_out
    orders = rows(
        sessions,
        "SELECT o.number, o.status, o.placed_at, o.coupon_code, "
        "s.delivered_at FROM orders o JOIN shipments s ON s.order_id = o.id "
        "WHERE o.customer_id = :i ORDER BY o.placed_at",
        i=CLARA_ID,
    )
    assert [o.number for o in orders] == [
        report.fixtures[name] for name in ("clara_first", "clara_repeat", "clara_last")
    ]
    assert all(o.status == "delivered" and o.delivered_at for o in orders)
    assert all(o.coupon_code is None for o in orders)  # the demo history left her alone
    since_last = NOW - at(orders[-1].placed_at)
    assert timedelta(days=89) < since_last < timedelta(days=91)


def test_clara_chatted_once_before_so_her_next_chat_is_a_return(generated):
    report, sessions = generated
    chats = rows(
        sessions,
        "SELECT id, started_at, ended_at, intents FROM chat_sessions WHERE customer_id = :i",
        i=CLARA_ID,
    )
    assert len(chats) == 1 and at(chats[0].ended_at) > at(chats[0].started_at)
    assert at(chats[0].started_at) < NOW - timedelta(days=85)
    outcomes = rows(
        sessions, "SELECT kind, ref FROM session_outcomes WHERE session_id = :s", s=chats[0].id
    )
    assert [(o.kind, o.ref) for o in outcomes] == [
        ("order_looked_up", report.fixtures["clara_last"])
    ]
    # Nobody else has a past chat: the others' first chat stays a first visit.
    assert rows(sessions, "SELECT COUNT(*) AS n FROM chat_sessions")[0].n == 1


def test_welcome_back_hash_puts_clara_in_an_offer_arm_not_control_or_holdout():
    sample = read_campaign_dir(SAMPLE_DIR)
    [campaign] = [c for c in sample.campaigns if c.key == WELCOME_BACK]
    assert sample.settings is not None
    arm = assign_arm(
        CLARA_ID,
        campaign.key,
        campaign.control_share,
        [(v.key, v.weight) for v in campaign.variants],
    )
    assert arm != CONTROL, (
        f"customer {CLARA_ID} is in {WELCOME_BACK}'s control group: "
        "choose another CLARA_ID in demo_shop/fixtures.py"
    )
    assert not in_global_holdout(CLARA_ID, sample.settings.holdout_share), (
        f"customer {CLARA_ID} is in the global hold-out: choose another CLARA_ID"
    )


def test_clara_is_offered_welcome_back_when_she_returns_after_the_demo_history(generated):
    _, sessions = generated
    history = rows(
        sessions, "SELECT COUNT(*) AS n FROM promo_exposures WHERE customer_id = :i", i=CLARA_ID
    )
    assert history[0].n == 0, "the simulated history used up Clara's offer"
    later = NOW + timedelta(hours=5)
    offer = PromotionService(sessions).preview(
        CLARA_ID, OfferContext("returning_session_start"), later
    )
    assert offer.decision.outcome == OFFER, offer.decision
    assert offer.decision.campaign_key == WELCOME_BACK
    assert offer.text and "Clara" in offer.text
    assert [b["payload"] for b in offer.buttons][0] == "/accept_offer"


def test_anna_and_ben_are_not_offered_welcome_back_at_session_start(generated):
    _, sessions = generated
    service = PromotionService(sessions)
    later = NOW + timedelta(hours=5)
    for customer_id in (1, 2):
        offer = service.preview(customer_id, OfferContext("returning_session_start"), later)
        assert offer.decision.outcome != OFFER, (customer_id, offer.decision)


def test_every_demo_customer_has_a_hint_for_the_chat_picker():
    assert set(DEMO_HINTS) == {ANNA_EMAIL, BEN_EMAIL, CLARA_EMAIL}
    assert GUEST_EMAIL not in DEMO_HINTS  # the guest is reached from the guest card
    assert all(0 < len(hint) <= 90 for hint in DEMO_HINTS.values())
