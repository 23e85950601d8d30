"""A proactive campaign's results per channel, each channel's offer against its own control."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from promotions.outreach_channel_results import channel_results
from store.db import utcnow
from tests.promotions.outreach_scene import KEY, seed_outreach


def test_each_channel_counts_its_messages_and_its_experiment(
    sessions: sessionmaker[Session],
) -> None:
    seed_outreach(sessions, utcnow())

    email, web = channel_results(sessions, KEY)

    assert email.channel == "email" and web.channel == "web"
    assert (email.sent, email.delivered, email.opened, email.clicked) == (6, 0, 3, 1)
    assert (web.sent, web.delivered, web.opened, web.clicked) == (4, 2, 0, 0)
    assert (email.offer.customers, email.offer.redeemed, email.offer.converted) == (6, 2, 3)
    assert (email.control.customers, email.control.converted) == (4, 1)
    assert (web.offer.customers, web.offer.redeemed, web.offer.converted) == (4, 1, 1)
    assert (web.control.customers, web.control.converted) == (2, 1)
    assert email.offer.lift is not None
    assert round(email.offer.lift.difference, 4) == round(3 / 6 - 1 / 4, 4)
    assert email.control.lift is None


def test_a_campaign_without_outreach_has_no_channels(sessions: sessionmaker[Session]) -> None:
    assert channel_results(sessions, "nothing-sent") == ()
