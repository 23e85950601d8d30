"""The demo shop's hidden truth about offers: how each customer really responds to one.

Real shops never see this; the simulator needs it so that the demo's history carries a
causal signal an uplift model can learn, and so that targeting policies can be scored
against the truth instead of against another estimate. Each customer has one response
type, drawn once from their hidden taste (``Customer.preferences``: how often they buy and
their price band) with a seeded hash of their id, so the same customer always has the
same type:

* ``sure_thing`` — orders within the window whether offered a coupon or not;
* ``persuadable`` — orders mostly only when offered a coupon;
* ``lost_cause`` — hardly ever orders, offer or not;
* ``sleeping_dog`` — would order, but an offer puts them off.

The probabilities are those of the simulator's *response order* within the attribution
window after an exposure. The shop's other orders (the generator's) happen alike in every
arm, so the difference ``with_offer - without_offer`` is the true effect of one offer.
Nothing here is written to the store's visible fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RESPONSE_SEED = "concierge-demo-response:1"
# Type -> (P(response order) without an offer, with an offer).
RESPONSE_RATES: dict[str, tuple[float, float]] = {
    "sure_thing": (0.45, 0.47),
    "persuadable": (0.03, 0.60),
    "lost_cause": (0.01, 0.02),
    "sleeping_dog": (0.35, 0.08),
}
RESPONSE_TYPES = tuple(RESPONSE_RATES)
# Buying frequency -> type weights in RESPONSE_TYPES order. Frequent buyers mostly buy
# anyway (and some resent being sold to); occasional buyers are the ones a coupon moves.
_BY_FREQUENCY: dict[str, tuple[float, float, float, float]] = {
    "loyal": (0.80, 0.02, 0.03, 0.15),
    "occasional": (0.10, 0.70, 0.15, 0.05),
    "one_off": (0.05, 0.45, 0.48, 0.02),
    "window_shopper": (0.02, 0.20, 0.77, 0.01),
}
# Price band -> multiplier of the persuadable weight (bargain hunters answer coupons).
_PRICE_PULL = {"budget": 3.0, "mid": 0.4, "premium": 0.1}
_UNKNOWN_TASTE = (0.2, 0.2, 0.5, 0.1)  # customers created outside the generator


@dataclass(frozen=True)
class TrueResponse:
    """One customer's response type and their order probabilities without and with an offer."""

    kind: str
    without_offer: float
    with_offer: float

    @property
    def uplift(self) -> float:
        """The expected extra orders one offer causes (negative for a sleeping dog)."""
        return self.with_offer - self.without_offer

    def rate(self, offered: bool) -> float:
        """The order probability in the arm the customer was in."""
        return self.with_offer if offered else self.without_offer


def type_weights(preferences: Mapping[str, Any] | None) -> tuple[float, ...]:
    """The chances of each response type, in ``RESPONSE_TYPES`` order, for this taste."""
    prefs = preferences or {}
    base = _BY_FREQUENCY.get(str(prefs.get("frequency")), _UNKNOWN_TASTE)
    pull = _PRICE_PULL.get(str(prefs.get("price_band")), 1.0)
    weights = (base[0], base[1] * pull, base[2], base[3])
    total = sum(weights)
    return tuple(w / total for w in weights)


def true_response(
    customer_id: int, preferences: Mapping[str, Any] | None, seed: str = RESPONSE_SEED
) -> TrueResponse:
    """The customer's hidden response: a deterministic function of id, taste and seed."""
    digest = hashlib.sha256(f"{seed}:{customer_id}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    kind = RESPONSE_TYPES[-1]
    for name, weight in zip(RESPONSE_TYPES, type_weights(preferences), strict=True):
        cumulative += weight
        if draw < cumulative:
            kind = name
            break
    without, with_offer = RESPONSE_RATES[kind]
    return TrueResponse(kind, without, with_offer)
