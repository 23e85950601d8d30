"""The conversation moments at which an offer may be made, and the ones that forbid it."""

from __future__ import annotations

# after an order question is resolved; alongside recommendations; when a returning
# customer starts a session; when the customer hesitates over a product (price/shipping).
TRIGGERS: tuple[str, ...] = (
    "after_order_resolved",
    "with_recommendation",
    "returning_session_start",
    "product_hesitation",
)

# Matters during which no offer is ever made, whatever a campaign says: selling to someone
# who is complaining, returning an item or waiting for a human backfires.
BLOCKING_MATTERS: tuple[str, ...] = ("complaint", "return", "handoff")
