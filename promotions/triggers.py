"""The conversation moments at which an offer may be made, and the matters that forbid it.

Both are closed sets the code branches on, so each is one ``StrEnum``: a misspelt
``Trigger.WITH_RECOMENDATION`` fails where it is written instead of silently never matching.
Campaign files keep writing the plain strings; ``promotions.campaigns`` validates them
against ``Trigger`` when they are loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Trigger(StrEnum):
    """A moment of the conversation at which a campaign may make its offer."""

    # After an order question is resolved (action_order_status).
    AFTER_ORDER_RESOLVED = "after_order_resolved"
    # Alongside recommendations (action_recommend, action_search_products).
    WITH_RECOMMENDATION = "with_recommendation"
    # When a returning customer starts a session (action_session_start).
    RETURNING_SESSION_START = "returning_session_start"
    # When the customer hesitates over a product shown: a price or shipping question.
    PRODUCT_HESITATION = "product_hesitation"
    # Not a conversation moment: a run of ``python -m promotions outreach run`` reaching out
    # first (by e-mail); only campaigns with an ``outreach:`` block list it.
    OUTREACH = "outreach"


# Every trigger, in declaration order: for lists of choices (CLI, console forms).
TRIGGERS: tuple[Trigger, ...] = tuple(Trigger)

# The conversation moments (every trigger but outreach): what previews and simulations
# try by default.
CHAT_TRIGGERS: tuple[Trigger, ...] = tuple(t for t in TRIGGERS if t != Trigger.OUTREACH)

# The moments that are about a product, so a campaign there may name it.
PRODUCT_TRIGGERS: frozenset[Trigger] = frozenset(
    {Trigger.WITH_RECOMMENDATION, Trigger.PRODUCT_HESITATION}
)


class Matter(StrEnum):
    """A matter during which no offer is ever made, whatever a campaign says.

    Selling to someone who is complaining, returning an item or waiting for a human
    backfires. The values are the session history's open-matter kinds.
    """

    COMPLAINT = "complaint"
    RETURN = "return"
    HANDOFF = "handoff"


BLOCKING_MATTERS: tuple[Matter, ...] = tuple(Matter)


def blocking_matters(kinds: Iterable[object]) -> frozenset[Matter]:
    """The blocking matters among ``kinds``; anything else (an order, None) is left out."""
    return frozenset(Matter(str(kind)) for kind in kinds if kind in BLOCKING_MATTERS)


def parse_trigger(value: object) -> Trigger:
    """``value`` as a ``Trigger``; a ``ValueError`` names the known triggers otherwise."""
    if isinstance(value, str) and value in TRIGGERS:
        return Trigger(value)
    raise ValueError(f"unknown trigger {value!r}; use one of {', '.join(TRIGGERS)}")
