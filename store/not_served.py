"""Requests the chat does not serve (``not_served_here`` in the shop policy), by topic.

A changed delivery address, a price match or a complaint about a courier must get an
honest answer and the offer of a person, never a flow that cannot help. The policy file
holds each topic's keywords and answer; :func:`topic_for` picks the topic of a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The topic every policy must have: the answer when no keyword matched.
OTHER = "other"


@dataclass(frozen=True)
class NotServedTopic:
    """One kind of request the chat leaves to the team, and what it says about it."""

    topic: str
    keywords: tuple[str, ...]
    answer: str

    def score(self, text: str) -> int:
        """How strongly ``text`` is about this topic: the length of its matching keywords."""
        lowered = " ".join(text.lower().split())
        return sum(len(k) for k in self.keywords if _starts_a_word(k, lowered))


def _starts_a_word(keyword: str, text: str) -> bool:
    # At the start of a word only: "invoice" finds "invoices", "card" does not find "discard".
    return re.search(r"(?<![a-z0-9])" + re.escape(keyword), text) is not None


def topic_for(text: str, topics: tuple[NotServedTopic, ...]) -> NotServedTopic:
    """The topic whose keywords match ``text`` best; the ``other`` topic when none does.

    Ties go to the topic listed first in the policy file, so its order is the priority.
    """
    best = max(topics, key=lambda t: t.score(text))
    if best.score(text) > 0:
        return best
    return next(t for t in topics if t.topic == OTHER)
