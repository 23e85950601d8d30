"""Who would get what: the decision run over the whole customer base, recording nothing.

``simulate`` is pure (profiles, histories and campaigns in, rows out); ``simulate_store``
reads those inputs from the database once and calls it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import Campaign, GlobalSettings
from promotions.decision import OfferContext, Outcome, PastOffer, Profile, decide
from promotions.profiles import load_profiles
from promotions.repository import PromotionRepository
from promotions.triggers import PRODUCT_TRIGGERS, TRIGGERS, Trigger, parse_trigger
from store.models import Product


@dataclass(frozen=True)
class SimulatedDecision:
    """One customer at one trigger."""

    customer_id: int
    trigger: Trigger
    outcome: str
    reason: str
    campaign_key: str | None
    variant_key: str | None
    passed_over: str = ""  # "key:reason;key:reason" for the campaigns that did not fit


def simulate(
    profiles: Iterable[Profile],
    contexts: Sequence[OfferContext],
    campaigns: Sequence[Campaign],
    histories: Mapping[int, Sequence[PastOffer]],
    now: datetime,
    settings: GlobalSettings,
    coupons_issued: Mapping[str, int] | None = None,
) -> list[SimulatedDecision]:
    """The decision for every profile at every context, as of ``now``."""
    rows = []
    for profile in profiles:
        history = histories.get(profile.customer_id, ())
        for context in contexts:
            d = decide(profile, context, campaigns, history, now, settings, coupons_issued)
            rows.append(
                SimulatedDecision(
                    profile.customer_id,
                    context.trigger,
                    d.outcome,
                    d.reason,
                    d.campaign_key,
                    d.variant_key,
                    ";".join(f"{key}:{why}" for key, why in d.passed_over),
                )
            )
    return rows


def default_contexts(
    sessions: sessionmaker[Session],
    triggers: Sequence[Trigger | str] = TRIGGERS,
    product: str | None = None,
    product_price: float | None = None,
) -> list[OfferContext]:
    """One context per trigger; product moments use the given product or a median-priced one."""
    if product is None or product_price is None:
        with sessions() as s:
            count = s.scalar(select(func.count(Product.id))) or 0
            row = (
                s.execute(
                    select(Product.title, Product.price, Product.category)
                    .order_by(Product.price)
                    .offset(count // 2)
                    .limit(1)
                ).first()
                if count
                else None
            )
        median = (row[0], row[1], row[2]) if row else ("Sample product", 30.0, None)
    else:
        median = (product, product_price, None)
    contexts = []
    for trigger in map(parse_trigger, triggers):
        if trigger in PRODUCT_TRIGGERS:
            contexts.append(
                OfferContext(
                    trigger,
                    product=product or median[0],
                    product_price=product_price if product_price is not None else median[1],
                    product_category=median[2],
                )
            )
        else:
            contexts.append(OfferContext(trigger))
    return contexts


def simulate_store(
    sessions: sessionmaker[Session], now: datetime, contexts: Sequence[OfferContext]
) -> list[SimulatedDecision]:
    """Run ``simulate`` over every customer in the database with the active campaigns."""
    repo = PromotionRepository(sessions)
    return simulate(
        load_profiles(sessions, now),
        contexts,
        repo.campaigns(statuses=["active"]),
        repo.histories(),
        now,
        repo.settings(),
        repo.coupons_issued(),
    )


def summarise(rows: Sequence[SimulatedDecision]) -> dict[str, Counter[str]]:
    """Per trigger: counts of each offer, control, hold-out, no-offer reason and why campaigns were passed over."""
    summary: dict[str, Counter[str]] = {}
    for row in rows:
        counter = summary.setdefault(row.trigger, Counter())
        if row.outcome == Outcome.OFFER:
            counter[f"offer {row.campaign_key}/{row.variant_key}"] += 1
        elif row.outcome in (Outcome.CONTROL, Outcome.HOLDOUT):
            counter[f"{row.outcome} {row.campaign_key}"] += 1
        else:
            counter[f"nothing: {row.reason}"] += 1
        for item in filter(None, row.passed_over.split(";")):
            key, why = item.split(":", 1)
            if why != "wrong_trigger":  # not news: the campaign is for another moment
                counter[f"  (passed over {key}: {why})"] += 1
    return summary
