"""Outreach messages counted per campaign and channel, for the results beside the experiment.

The experiment's figures (``promotions.results``) count everyone assigned, whether or not
a message arrived (intention to treat). These counts say what happened to the messages
themselves, from the outbox: how many each channel delivered, bounced or gave up on, so a
marketer can see, for instance, that Telegram reached fewer people than e-mail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from promotions.models import OutreachMessage, PromoCampaign

# promotions.outreach_outbox.Status's values, spelled out: importing it here would load the
# senders (aiosmtplib, aiohttp) with every import of promotions.results.
SENT, BOUNCED, FAILED, SKIPPED = "sent", "bounced", "failed", "skipped"
WAITING = ("pending", "sending")


@dataclass(frozen=True)
class ChannelCounts:
    """One channel's outreach messages of a campaign (control and hold-out rows excluded)."""

    channel: str
    sent: int = 0
    bounced: int = 0
    failed: int = 0
    waiting: int = 0  # pending or being sent

    @property
    def total(self) -> int:
        return self.sent + self.bounced + self.failed + self.waiting


def outreach_counts(sessions: sessionmaker[Session]) -> dict[str, tuple[ChannelCounts, ...]]:
    """Campaign key -> its channels' counts, channels by name; campaigns without outreach absent.

    Rows ``skipped`` (control, hold-out, opted out before sending) were never meant to be
    sent, so they are not counted as messages here.
    """
    query = (
        select(PromoCampaign.key, OutreachMessage.channel, OutreachMessage.status, func.count())
        .join(PromoCampaign, OutreachMessage.campaign_id == PromoCampaign.id)
        .where(OutreachMessage.status != SKIPPED)
        .group_by(PromoCampaign.key, OutreachMessage.channel, OutreachMessage.status)
    )
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    with sessions() as s:
        for key, channel, status, n in s.execute(query):
            counts[key][channel][status] = int(n)
    return {
        key: tuple(
            ChannelCounts(
                channel,
                sent=by_status.get(SENT, 0),
                bounced=by_status.get(BOUNCED, 0),
                failed=by_status.get(FAILED, 0),
                waiting=sum(by_status.get(s, 0) for s in WAITING),
            )
            for channel, by_status in sorted(channels.items())
        )
        for key, channels in counts.items()
    }
