"""Offer decisions for the shop's other systems: the chat's own decision code, and a record
made once per idempotency key.

:class:`OfferDecider` asks ``promotions.service.PromotionService`` exactly what the chat
asks it: ``preview`` (records nothing) or ``offer_for`` (records the exposure: offer shown,
control or hold-out, which caps and experiments count). :func:`record_once` makes the
recording call safe to retry: the first call with an ``Idempotency-Key`` claims it, does
the work and stores its answer; a repeat replays that answer, and a repeat racing the
first waits for it rather than recording a second exposure.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from api.problems import ApiProblem
from api.schemas import CouponTerms, OfferDecision, OfferDecisionRequest, PassedOver
from api.serving import UnknownCustomer
from promotions.decision import OfferContext
from promotions.repository import UnknownCampaign
from promotions.service import PromotionService
from store.api_idempotency import KEY_MAX, PENDING, ApiIdempotencyKeys, IdempotencyConflict

# How long a repeat waits for the answer of the same request still being worked on.
WAIT_FOR_FIRST_SECONDS = 10.0
_POLL_SECONDS = 0.05


class OfferDecider:
    """Offer decisions on the shop database, as the chat makes them."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.promotions = PromotionService(sessions)

    def decide(self, customer_id: int, request: OfferDecisionRequest) -> OfferDecision:
        """Decide for ``customer_id`` now; record the exposure when ``request.record``."""
        context = OfferContext(
            trigger=request.trigger,
            active_matters=frozenset(request.active_matters),
            channel=request.channel,
            product=request.product,
            product_category=request.product_category,
            product_price=request.product_price,
            basket_value=request.basket_value,
        )
        now = self.promotions.clock()
        if request.record:
            result = self.promotions.offer_for(customer_id, context, now=now)
        else:
            result = self.promotions.preview(customer_id, context, now)
        decision = result.decision
        if decision.reason == "unknown_customer":
            raise UnknownCustomer(customer_id)
        return OfferDecision(
            customer_id=customer_id,
            outcome=decision.outcome.value,
            reason=decision.reason,
            passed_over=[PassedOver(campaign=c, reason=r) for c, r in decision.passed_over],
            campaign=decision.campaign_key,
            variant=decision.variant_key,
            text=result.text,
            coupon=self._coupon(decision.campaign_key, decision.variant_key)
            if result.shows_offer
            else None,
            recorded=result.exposure_id is not None,
            exposure_id=result.exposure_id,
            decided_at=now,
        )

    def _coupon(self, campaign_key: str | None, variant_key: str | None) -> CouponTerms | None:
        try:
            campaign = self.promotions.repo.campaign(campaign_key or "")
        except UnknownCampaign:  # deleted since the decision: nothing to describe
            return None
        variant = campaign.variant(variant_key or "")
        spec = variant.coupon if variant is not None else None
        if spec is None:
            return None
        return CouponTerms(
            kind=spec.kind,
            value=spec.value,
            discount=spec.discount_text(),
            min_basket=spec.min_basket,
            currency=spec.currency,
            validity_days=spec.validity_days,
        )


def idempotency_key(header: str | None) -> str:
    """The ``Idempotency-Key`` a recording call must send; a 400 problem otherwise."""
    key = (header or "").strip()
    if not key:
        raise ApiProblem(
            "idempotency-key-missing",
            "Recording an exposure needs an `Idempotency-Key` header (e.g. a UUID): a retry "
            "with the same key records nothing twice.",
        )
    if len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise ApiProblem(
            "idempotency-key-missing",
            f"The Idempotency-Key must be 1 to {KEY_MAX} printable ASCII characters.",
        )
    return key


def request_fingerprint(method: str, path: str, body: OfferDecisionRequest) -> str:
    """SHA-256 of the request as validated: the same request, whatever its JSON spacing."""
    canonical = f"{method} {path}\n{body.model_dump_json()}"
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Recorded:
    """The answer of a recording call, and whether it is a replay of an earlier one."""

    status: int
    body: dict[str, object]
    replayed: bool


async def record_once(
    keys: ApiIdempotencyKeys,
    key_id: str,
    key: str,
    fingerprint: str,
    work: Callable[[], OfferDecision],
) -> Recorded:
    """Run ``work`` once per (API key, idempotency key); replay its answer to repeats."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_FIRST_SECONDS
    try:
        stored = await asyncio.to_thread(keys.claim, key_id, key, fingerprint)
        while stored is not None and stored.status == PENDING:
            if loop.time() > deadline:
                raise ApiProblem(
                    "request-in-progress",
                    "The first request with this Idempotency-Key is still being answered; "
                    "retry in a moment.",
                    headers={"Retry-After": "1"},
                )
            await asyncio.sleep(_POLL_SECONDS)
            stored = await asyncio.to_thread(keys.stored, key_id, key)
            if stored is None:  # the first one failed and let go: try to claim it again
                stored = await asyncio.to_thread(keys.claim, key_id, key, fingerprint)
    except IdempotencyConflict:
        raise ApiProblem(
            "idempotency-key-reused",
            "This Idempotency-Key was already used for a different request; use a new key "
            "for a new request.",
        ) from None
    if stored is not None:
        return Recorded(stored.status, stored.response, replayed=True)
    try:
        answer = await asyncio.to_thread(work)
    except BaseException:
        await asyncio.to_thread(keys.release, key_id, key)
        raise
    body = answer.model_dump(mode="json")
    await asyncio.to_thread(keys.complete, key_id, key, 200, body)
    return Recorded(200, body, replayed=False)
