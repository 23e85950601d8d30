"""Read-side totals of the chat history for the console's ``/metrics``.

A named query module (see docs/store-api.md): the console asks for the numbers and gets a
frozen dataclass back, so it never writes SQL against the store's tables itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from store.db import UnitOfWork
from store.models import ChatSession, Handoff, SessionOutcome


@dataclass(frozen=True)
class ChatTotals:
    """Counts over every recorded chat session."""

    turns: int
    sessions: int
    # Outcome kind -> sessions' outcomes of that kind (only the kinds asked for).
    outcomes: dict[str, int]
    # Handoff status -> handoffs in that status.
    handoffs: dict[str, int]


class ChatTotalsQuery(UnitOfWork):
    """Counts turns, sessions, outcomes and handoffs in one read."""

    def totals(self, outcome_kinds: Iterable[str]) -> ChatTotals:
        """The totals now; ``outcome_kinds`` limits which outcomes are counted."""
        kinds = tuple(outcome_kinds)
        with self._read() as s:
            turns, sessions = s.execute(
                select(func.coalesce(func.sum(ChatSession.turns), 0), func.count(ChatSession.id))
            ).one()
            outcomes = dict(
                s.execute(
                    select(SessionOutcome.kind, func.count())
                    .where(SessionOutcome.kind.in_(kinds))
                    .group_by(SessionOutcome.kind)
                ).all()
            )
            handoffs = dict(
                s.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all()
            )
        return ChatTotals(int(turns), int(sessions), outcomes, handoffs)
