"""Marketer pages that read a campaign: the live preview for a customer and the results page.

The preview is a GET form (it changes nothing, so it needs no CSRF token) answered by
``promotions.preview.preview_campaign``; the results are ``promotions.results`` and
``promotions.timeline`` figures with charts drawn as server-side SVG.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console.marketing.charts import interval_chart, timeline_chart
from console.marketing.common import MARKETER_ROLES, load_campaign, sessions_of
from console.staff.auth import requires
from promotions.campaigns import Campaign
from promotions.decision import OfferContext
from promotions.preview import preview_campaign
from promotions.report import arm_cells
from promotions.results import campaign_results
from promotions.timeline import campaign_timeline
from promotions.triggers import TRIGGERS, Trigger
from store.db import utcnow

MAX_PRODUCT_CHARS = 120


@requires(*MARKETER_ROLES)
async def preview_page(request: web.Request) -> web.StreamResponse:
    """Each variant as the chosen customer would see it now, or why they would not."""
    campaign = await load_campaign(request)
    query = request.query
    typed = {
        "customer": query.get("customer", "").strip()[:20],
        "trigger": query.get("trigger", campaign.triggers[0]),
        "product": query.get("product", "")[:MAX_PRODUCT_CHARS],
        "basket": query.get("basket", "").strip()[:20],
    }
    context: dict[str, Any] = {
        "campaign": campaign,
        "typed": typed,
        "triggers": TRIGGERS,
        "error": None,
        "preview": None,
    }
    if "customer" in query:
        parsed = _preview_request(campaign, typed)
        if isinstance(parsed, str):
            context["error"] = parsed
        else:
            customer_id, offer_context = parsed
            context["preview"] = await asyncio.to_thread(
                preview_campaign,
                sessions_of(request),
                campaign,
                customer_id,
                offer_context,
                utcnow(),
            )
    status = 400 if context["error"] else 200
    return aiohttp_jinja2.render_template("campaigns/preview.html", request, context, status=status)


def _preview_request(campaign: Campaign, typed: dict[str, str]) -> tuple[int, OfferContext] | str:
    """The customer id and conversation moment of the preview form, or what is wrong with it."""
    if not typed["customer"].isdigit():
        return f"Customer id must be a whole number, got {typed['customer']!r}."
    if typed["trigger"] not in TRIGGERS:
        return f"Choose a trigger from the list ({', '.join(TRIGGERS)})."
    basket = None
    if typed["basket"]:
        try:
            basket = float(typed["basket"])
        except ValueError:
            return f"Basket value must be a number like 45.50, got {typed['basket']!r}."
    product = " ".join(typed["product"].split()) or None
    return int(typed["customer"]), OfferContext(
        trigger=Trigger(typed["trigger"]), product=product, basket_value=basket
    )


@requires(*MARKETER_ROLES)
async def results_page(request: web.Request) -> web.StreamResponse:
    """The ``promotions results`` figures of one campaign, with its charts."""
    campaign = await load_campaign(request)
    sessions = sessions_of(request)
    report = await asyncio.to_thread(campaign_results, sessions)
    result = next(r for r in report.campaigns if r.key == campaign.key)
    days = await asyncio.to_thread(campaign_timeline, sessions, campaign.key, report.computed_at)
    context = {
        "campaign": campaign,
        "report": report,
        "result": result,
        "rows": [arm_cells(a) for a in result.arms if a.customers or a.arm != "holdout"],
        "timeline": timeline_chart(days),
        "intervals": interval_chart(result.arms),
        "days": days,
    }
    return aiohttp_jinja2.render_template("campaigns/results.html", request, context)
