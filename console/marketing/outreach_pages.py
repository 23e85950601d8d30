"""A proactive campaign's outreach results, by channel (``/marketing/campaigns/<key>/outreach``).

The figures are ``promotions.outreach_channel_results``: messages sent, delivered (web
chat), opened and clicked (tracked e-mail), and the offer against the same channel's
control group. Linked from the campaign's results page when the campaign sends outreach.
"""

from __future__ import annotations

import asyncio

import aiohttp_jinja2
from aiohttp import web

from console.marketing.common import MARKETER_ROLES, load_campaign, sessions_of
from console.staff.auth import requires
from promotions.outreach_channel_results import channel_results
from promotions.outreach_report import CHANNEL_NAMES
from promotions.report import arm_cells
from promotions.repository import PromotionRepository
from store.db import utcnow


@requires(*MARKETER_ROLES)
async def outreach_results_page(request: web.Request) -> web.StreamResponse:
    """Outreach figures of one campaign per channel, each against its own control."""
    campaign = await load_campaign(request)
    sessions = sessions_of(request)
    channels = await asyncio.to_thread(channel_results, sessions, campaign.key)
    settings = await asyncio.to_thread(PromotionRepository(sessions).settings)
    context = {
        "campaign": campaign,
        "computed_at": utcnow(),
        "attribution_days": settings.attribution_days,
        "channels": [
            {
                "result": c,
                "name": CHANNEL_NAMES.get(c.channel, c.channel),
                "rows": [arm_cells(c.offer), arm_cells(c.control)],
            }
            for c in channels
        ],
    }
    return aiohttp_jinja2.render_template("campaigns/outreach.html", request, context)
