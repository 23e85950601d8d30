"""Demo promotions: the sample campaigns and a realistic, seeded history of what they did.

``seed_demo`` runs after the shop's demo data exists (``store.generator``). It imports the
sample campaigns, then replays the last weeks as chat visits in time order: at each visit
the real decision chooses offer, control, hold-out or nothing; whether the
customer orders within the attribution window follows their hidden response type
(``promotions.demo_response``: some buy anyway, some only with a coupon, some never, some
are put off) in the offer, control and hold-out arms alike, so the control groups carry
the causal signal an uplift model learns. Customers shown an offer who will order accept
it and order with the code; the others accept, decline or opt out with plausible
probabilities (an accepted code may go on an order placed anyway).
Finally ``scan_redemptions`` marks those coupons redeemed, exactly as for real orders.
The same database, seed and ``now`` always give the same rows (codes included: the demo
draws them from its seeded generator instead of ``secrets``).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from demo_shop.fixtures import RESERVED_EMAILS
from promotions.acceptance import ShownOffer
from promotions.campaigns import Campaign, CouponSpec
from promotions.coupons import ALPHABET, scan_redemptions
from promotions.decision import OFFER, OfferContext, PastOffer, Response, decide
from promotions.demo_response import TrueResponse, true_response
from promotions.files import SAMPLE_DIR, read_campaign_dir
from promotions.models import PromoCampaign, PromoCoupon, PromoExposure
from promotions.profiles import build_profile, load_facts
from promotions.repository import PromotionRepository
from promotions.service import render_offer
from promotions.triggers import PRODUCT_TRIGGERS, Trigger
from store.db import writing
from store.models import Customer, Order, OrderLine, Product, Shipment

# Accept / decline / opt-out chances of a shown offer, nudged per variant so the demo's
# experiments have something to find.
ACCEPT = 0.28
DECLINE = 0.45
OPT_OUT = 0.02
VARIANT_ACCEPT_BONUS = {"percent-15": 0.06, "personal": 0.05, "warm": 0.04}
REDEEM_EXISTING = 0.6  # accepted and typed the code into an order they placed anyway
MIN_ORDER_DELAY = timedelta(minutes=10)  # a response order comes after the exposure
# Chat visits per customer over the period, for customers without / with orders: enough
# exposures (offer and control alike) for the uplift model to learn from.
VISITS = (0, 1, 2, 3, 4, 5, 6)
VISIT_WEIGHTS = {False: (20, 25, 20, 14, 10, 6, 5), True: (2, 4, 8, 14, 20, 24, 28)}


@dataclass(frozen=True)
class DemoSummary:
    """What ``seed_demo`` wrote."""

    campaigns: int
    visits: int
    exposures: int
    offers: int
    controls: int
    holdouts: int
    accepted: int
    declined: int
    opted_out: int
    coupons: int
    new_orders: int
    redeemed: int
    skipped: bool = False


def seed_demo(
    sessions: sessionmaker[Session],
    *,
    seed: int = 7,
    now: datetime | None = None,
    days: int = 120,
) -> DemoSummary:
    """Import the sample campaigns and simulate ``days`` of offer history up to ``now``."""
    repo = PromotionRepository(sessions)
    sample = read_campaign_dir(SAMPLE_DIR)
    for campaign in sample.campaigns:
        repo.save_campaign(campaign)
    if sample.settings:
        repo.save_settings(sample.settings)
    with sessions() as s:
        if s.scalar(select(func.count(PromoExposure.id))):
            return DemoSummary(len(sample.campaigns), *(0,) * 11, skipped=True)
        end = now or s.scalar(select(func.max(Order.placed_at))) or datetime(2025, 6, 30, 12)
    return _History(sessions, repo, random.Random(f"concierge-promotions:{seed}"), end, days).run(
        len(sample.campaigns)
    )


class _History:
    """One replay of the offer history; state shared by its steps."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        repo: PromotionRepository,
        rng: random.Random,
        end: datetime,
        days: int,
    ) -> None:
        self.sessions, self.repo, self.rng, self.end = sessions, repo, rng, end
        self.start = end - timedelta(days=days)
        self.settings = repo.settings()
        self.campaigns: list[Campaign] = repo.campaigns(statuses=["active"])
        self.facts = load_facts(sessions)
        self.history: dict[int, list[PastOffer]] = defaultdict(list)
        self.issued: dict[str, int] = defaultdict(int, repo.coupons_issued())
        self.counts: dict[str, int] = defaultdict(int)
        with sessions() as s:
            self.products = list(
                s.execute(select(Product.id, Product.title, Product.price, Product.category))
            )
            self.emails = {i: e for i, e in s.execute(select(Customer.id, Customer.email))}
            self.truth: dict[int, TrueResponse] = {
                i: true_response(i, prefs)
                for i, prefs in s.execute(select(Customer.id, Customer.preferences))
            }
            numbers = [int(n) for n in s.scalars(select(Order.number)) if n.isdigit()]
            self.campaign_ids = {
                k: i for k, i in s.execute(select(PromoCampaign.key, PromoCampaign.id))
            }
        self.next_number = max(numbers, default=9999) + 1

    def run(self, n_campaigns: int) -> DemoSummary:
        visits = self._visits()
        with writing(self.sessions) as s:
            for at, customer_id, context in visits:
                self._visit(s, at, customer_id, context)
        redeemed = sum(1 for r in scan_redemptions(self.sessions) if r.ok)
        c = self.counts
        return DemoSummary(
            campaigns=n_campaigns,
            visits=len(visits),
            exposures=c["exposures"],
            offers=c["offer"],
            controls=c["control"],
            holdouts=c["holdout"],
            accepted=c["accepted"],
            declined=c["declined"],
            opted_out=c["opted_out"],
            coupons=c["coupons"],
            new_orders=c["new_orders"],
            redeemed=redeemed,
        )

    def _visits(self) -> list[tuple[datetime, int, OfferContext]]:
        """Chat visits over the period: more for customers who buy more, in time order."""
        span = (self.end - timedelta(days=1) - self.start).total_seconds()
        visits = []
        # The demo's named customers (Anna, Ben, Clara) keep the state their chat demos
        # are written for: the simulated history never visits them.
        named = {i for i, email in self.emails.items() if email in RESERVED_EMAILS}
        for customer_id, (_facts, orders) in sorted(self.facts.items()):
            if customer_id in named:
                continue
            n = self.rng.choices(VISITS, weights=VISIT_WEIGHTS[bool(orders)])[0]
            for _ in range(n):
                at = self.start + timedelta(seconds=self.rng.uniform(0, span))
                visits.append((at.replace(microsecond=0), customer_id, self._context(bool(orders))))
        visits.sort(key=lambda v: (v[0], v[1]))
        return visits

    def _context(self, has_orders: bool) -> OfferContext:
        triggers = [Trigger.WITH_RECOMMENDATION, Trigger.PRODUCT_HESITATION]
        weights = [25, 20]
        if has_orders:
            triggers += [Trigger.RETURNING_SESSION_START, Trigger.AFTER_ORDER_RESOLVED]
            weights += [35, 30]
        trigger = self.rng.choices(triggers, weights=weights)[0]
        if trigger in PRODUCT_TRIGGERS and self.products:
            _, title, price, category = self.rng.choice(self.products)
            return OfferContext(
                trigger, product=title, product_price=price, product_category=category
            )
        return OfferContext(trigger)

    def _visit(self, s: Session, at: datetime, customer_id: int, context: OfferContext) -> None:
        facts, orders = self.facts[customer_id]
        profile = build_profile(facts, orders, at)
        history = self.history[customer_id]
        decision = decide(profile, context, self.campaigns, history, at, self.settings, self.issued)
        if decision.campaign_key is None:
            return
        campaign = next(c for c in self.campaigns if c.key == decision.campaign_key)
        arm = decision.arm
        message, offer_spec = None, None
        if decision.outcome == OFFER:
            variant = campaign.variant(decision.variant_key or "")
            assert variant is not None  # the decision only names the campaign's own variants
            message = render_offer(campaign, variant, profile, context, at)[0]
            offer_spec = ShownOffer.of(variant).to_json()
        exposure = PromoExposure(
            customer_id=customer_id,
            campaign_id=self.campaign_ids[campaign.key],
            arm=arm,
            variant_key=decision.variant_key,
            trigger=context.trigger,
            sender_id=f"demo-{customer_id}-{len(history) + 1}",
            message=message,
            offer_spec=offer_spec,
            at=at,
        )
        s.add(exposure)
        s.flush()
        self.counts["exposures"] += 1
        self.counts[decision.outcome] += 1
        response, responded_at = None, None
        offered = decision.outcome == OFFER
        converts = self.rng.random() < self.truth[customer_id].rate(offered)
        if offered:
            response, responded_at = self._respond(
                s, exposure, campaign, profile.propensity_band, converts
            )
        elif converts:
            self._response_order(s, customer_id, at, None, None)
        history.append(
            PastOffer(campaign.key, arm, at, decision.variant_key, response, responded_at)
        )

    def _respond(
        self,
        s: Session,
        exposure: PromoExposure,
        campaign: Campaign,
        band: str | None,
        converts: bool,
    ) -> tuple[Response | None, datetime | None]:
        """The answer to a shown offer; a customer who will order accepts and uses the code."""
        accept = ACCEPT + VARIANT_ACCEPT_BONUS.get(exposure.variant_key or "", 0.0)
        accept += {"high": 0.08, "low": -0.08}.get(band or "", 0.0)
        roll = self.rng.random()
        at = exposure.at + timedelta(seconds=self.rng.randint(5, 90))
        if converts:
            response = Response.ACCEPTED
            self._issue(s, exposure, campaign, at, converts=True)
        elif roll < OPT_OUT:
            response = Response.OPTED_OUT
            customer = s.get(Customer, exposure.customer_id)
            assert customer is not None  # the exposure's foreign key names a customer
            customer.offers_opt_out = True
            facts, orders = self.facts[exposure.customer_id]
            self.facts[exposure.customer_id] = (replace(facts, opted_out=True), orders)
        elif roll < OPT_OUT + accept:
            response = Response.ACCEPTED
            self._issue(s, exposure, campaign, at, converts=False)
        elif roll < OPT_OUT + accept + DECLINE:
            response = Response.DECLINED
        else:
            return None, None
        exposure.response, exposure.responded_at = response, at
        self.counts[response] += 1
        return response, at

    def _issue(
        self, s: Session, exposure: PromoExposure, campaign: Campaign, at: datetime, converts: bool
    ) -> None:
        variant = campaign.variant(exposure.variant_key or "")
        if variant is None or variant.coupon is None:
            if converts:
                self._response_order(s, exposure.customer_id, at, None, None)
            return
        spec = variant.coupon
        code = "-".join("".join(self.rng.choice(ALPHABET) for _ in range(4)) for _ in range(3))
        expires = at + timedelta(days=spec.validity_days)
        s.add(
            PromoCoupon(
                code=code,
                exposure_id=exposure.id,
                customer_id=exposure.customer_id,
                campaign_id=exposure.campaign_id,
                variant_key=variant.key,
                sender_id=exposure.sender_id,
                kind=spec.kind,
                value=spec.value,
                min_basket=spec.min_basket,
                currency=spec.currency,
                issued_at=at,
                expires_at=expires,
            )
        )
        self.issued[campaign.key] += 1
        # The budget's counter, as promotions.coupons.issue_coupon keeps it.
        s.execute(
            update(PromoCampaign)
            .where(PromoCampaign.id == exposure.campaign_id)
            .values(coupons_issued=PromoCampaign.coupons_issued + 1)
        )
        self.counts["coupons"] += 1
        if converts:
            self._response_order(s, exposure.customer_id, at, code, spec, until=expires)
        else:
            self._use_on_order_anyway(s, exposure.customer_id, code, at, min(expires, self.end))

    def _use_on_order_anyway(
        self, s: Session, customer_id: int, code: str, since: datetime, until: datetime
    ) -> None:
        """Maybe type an accepted code into an order the customer was placing anyway."""
        _, orders = self.facts[customer_id]
        placed_anyway = [at for at, _ in orders if since < at <= until]
        if not placed_anyway or self.rng.random() >= REDEEM_EXISTING:
            return
        order = s.scalar(
            select(Order).where(
                Order.customer_id == customer_id,
                Order.placed_at == placed_anyway[0],
                Order.coupon_code.is_(None),
            )
        )
        if order is not None:
            order.coupon_code = code

    def _response_order(
        self,
        s: Session,
        customer_id: int,
        exposed_at: datetime,
        code: str | None,
        coupon: CouponSpec | None,
        until: datetime | None = None,
    ) -> None:
        """The order an exposure brought, within the attribution window (and the history)."""
        window = exposed_at + timedelta(days=self.settings.attribution_days)
        until = min(window, until or window, self.end)
        since = exposed_at + MIN_ORDER_DELAY
        if until <= since:
            return  # the window runs past the end of the history: not observed yet
        placed = since + timedelta(seconds=self.rng.uniform(0, (until - since).total_seconds()))
        self._new_order(s, customer_id, code, placed.replace(microsecond=0), coupon)

    def _new_order(
        self,
        s: Session,
        customer_id: int,
        code: str | None,
        placed: datetime,
        coupon: CouponSpec | None,
    ) -> None:
        lines: list[OrderLine] = []
        basket = 0.0
        min_basket = coupon.min_basket if coupon else 0.0
        while (basket < min_basket or not lines) and len(lines) < 5 and self.products:
            product_id, _, price, _ = self.rng.choice(self.products)
            quantity = 1 if price > 15 else self.rng.randint(1, 3)
            lines.append(OrderLine(product_id=product_id, quantity=quantity, unit_price=price))
            basket += quantity * price
        total = round(basket - (coupon.discount_on(basket) if coupon else 0.0), 2)
        age = self.end - placed
        status = (
            "delivered"
            if age > timedelta(days=5)
            else ("shipped" if age > timedelta(days=2) else "processing")
        )
        order = Order(
            number=str(self.next_number),
            customer_id=customer_id,
            email=self.emails[customer_id],
            status=status,
            placed_at=placed,
            total=total,
            currency="GBP",
            country=self.facts[customer_id][0].country,
            coupon_code=code,
            kind="order",
            lines=lines,
        )
        self.next_number += 1
        if status != "processing":
            shipped = placed + timedelta(days=1)
            order.shipments.append(
                Shipment(
                    carrier="Royal Mail",
                    tracking_number=f"PR{self.next_number:08d}GB",
                    shipped_at=shipped,
                    estimated_delivery=shipped + timedelta(days=3),
                    delivered_at=shipped + timedelta(days=2) if status == "delivered" else None,
                )
            )
        s.add(order)
        facts, orders = self.facts[customer_id]
        orders.append((placed, total))
        orders.sort()
        self.counts["new_orders"] += 1
