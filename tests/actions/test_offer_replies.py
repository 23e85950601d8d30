"""The chat's words for the answers to an offer, keyed by promotions' ReplyStatus."""

from __future__ import annotations

from actions import messages
from promotions.replies import ReplyStatus


def test_every_answer_without_campaign_text_has_its_own_sentence() -> None:
    # A status the chat had no sentence for would fall back to "no open offer" unnoticed.
    statuses = [status for status in ReplyStatus if not status.took_offer]
    sentences = {messages.offer_reply(status, None) for status in statuses}
    assert len(sentences) == len(statuses)
