"""Sticky experiment assignment: a stable hash of customer and campaign, never ``hash()``.

Python's ``hash()`` of a string changes with every process (hash randomisation), so it
would move customers between variant and control on each restart. SHA-256 of the
customer id and the campaign key gives every process, machine and release the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum

HOLDOUT_SALT = "concierge:global-holdout"


class Arm(StrEnum):
    """The group an exposure (one recorded assignment) put the customer in."""

    VARIANT = "variant"  # shown one of the campaign's variants
    CONTROL = "control"  # eligible, shown nothing, measured against the variants
    HOLDOUT = "holdout"  # in the global hold-out: eligible, never shown any offer


# What ``assign_arm`` returns instead of a variant key.
CONTROL = Arm.CONTROL
# The arms whose customers were shown nothing: measured against the ones shown an offer.
NO_OFFER_ARMS: frozenset[Arm] = frozenset({Arm.CONTROL, Arm.HOLDOUT})


def unit_interval(customer_id: int | str, salt: str) -> float:
    """A number in [0, 1) fixed for (customer, salt), uniformly spread over customers."""
    digest = hashlib.sha256(f"{salt}|{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_global_holdout(customer_id: int | str, share: float) -> bool:
    """Whether the customer belongs to the hold-out that never receives any offer."""
    return unit_interval(customer_id, HOLDOUT_SALT) < share


def assign_arm(
    customer_id: int | str,
    campaign_key: str,
    control_share: float,
    variants: Sequence[tuple[str, float]],
) -> str:
    """``"control"`` or the key of the variant the customer sees, from (key, weight) pairs."""
    u = unit_interval(customer_id, f"campaign:{campaign_key}")
    if u < control_share:
        return CONTROL
    total = sum(weight for _, weight in variants if weight > 0)
    if total <= 0:
        raise ValueError(f"campaign {campaign_key!r} has no variant with a positive weight")
    # Rescale the part of [0, 1) above the control share over the variants' weights, so
    # one hash decides both the control split and the variant.
    position = (u - control_share) / (1 - control_share) * total
    running = 0.0
    chosen = ""
    for key, weight in variants:
        if weight <= 0:
            continue
        running += weight
        chosen = key
        if position < running:
            break
    return chosen
