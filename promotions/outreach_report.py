"""What an outreach run did, counted, and how ``python -m promotions outreach run`` prints it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

CHANNEL_NAMES = {"email": "e-mail", "telegram": "Telegram", "web": "the web chat"}


@dataclass
class RunReport:
    """What a run did (or, with ``dry_run``, would do), counted."""

    dry_run: bool = False
    campaigns: tuple[str, ...] = ()
    queued: int = 0  # offers chosen and queued this run
    control: int = 0
    holdout: int = 0
    sent: int = 0
    bounced: int = 0
    retry_later: int = 0
    failed: int = 0
    gave_up_stuck: int = 0
    relay_unreachable: bool = False
    telegram_unreachable: bool = False
    waiting: int = 0  # dry run: messages already in the outbox, waiting to be sent
    sent_by_channel: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """The report as the command line prints it."""
        verb = "would queue" if self.dry_run else "queued"
        live = ", ".join(self.campaigns) or "none"
        out = [
            f"proactive campaigns live: {live}",
            f"{verb}: {self.queued} offer(s); control: {self.control}; hold-out: {self.holdout}",
        ]
        if self.dry_run:
            out.append(f"waiting in the outbox from earlier runs: {self.waiting}")
        else:
            by_channel = ", ".join(
                f"{CHANNEL_NAMES.get(channel, channel)} {count}"
                for channel, count in sorted(self.sent_by_channel.items())
            )
            out.append(
                f"sent: {self.sent}; bounced: {self.bounced}; retry later: {self.retry_later}; "
                f"failed: {self.failed}"
            )
            if by_channel:
                out.append(f"sent by channel: {by_channel}")
        if self.gave_up_stuck:
            out.append(f"left in 'sending' by a stopped run, marked failed: {self.gave_up_stuck}")
        if self.relay_unreachable:
            out.append("the SMTP relay could not be reached: the rest waits for the next run")
        if self.telegram_unreachable:
            out.append("Telegram could not be reached: its messages wait for the next run")
        for reason, count in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  skipped {count:6d}  {reason}")
        return out


def unreachable_reason(channels: tuple[str, ...]) -> str:
    """Why a consenting customer got nothing: none of ``channels`` reaches them."""
    if channels == ("email",):
        return "not opted in to e-mail"
    names = " or ".join(CHANNEL_NAMES.get(c, c) for c in channels) or "any channel"
    return (
        f"not reachable by {names} (e-mail needs its opt-in, Telegram a linked account, "
        "the web chat a signed-in visit before)"
    )
