"""Marketer pages: the campaign list, the campaign editor and the rules across all campaigns.

Validation is the promotions package's own (``campaign_from_dict`` via
``PromotionRepository.save_campaign_data``, ``settings_from_dict``): the console only
turns form text into the campaign mapping and shows each problem beside its field, with
the form exactly as typed. Every saved change is written to the audit log in the same
transaction as the change.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from functools import partial
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from console.marketing.common import (
    MARKETER_ROLES,
    actor_of,
    audit_entry,
    load_campaign,
    repository_of,
    sessions_of,
)
from console.marketing.form import (
    CampaignForm,
    blank_form,
    campaign_data,
    field_errors,
    form_from_campaign,
    form_from_post,
    parse_number,
)
from console.staff.auth import requires, see_other
from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import (
    STATUSES,
    Campaign,
    CampaignError,
    GlobalSettings,
    settings_from_dict,
)
from promotions.outreach_spec import outreach_to_dict
from promotions.repository import UnknownCampaign
from promotions.results import campaign_results
from promotions.triggers import TRIGGERS

SETTINGS_FIELDS = tuple(GlobalSettings.__dataclass_fields__)
NOT_STORED = (
    "database: the change and its audit entry could not be stored, so neither was; "
    "try again, and tell an administrator if it keeps failing"
)

logger = logging.getLogger(__name__)


async def _render_list(
    request: web.Request,
    *,
    settings_form: dict[str, str] | None = None,
    settings_errors: list[str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    repo = repository_of(request)
    campaigns = await asyncio.to_thread(repo.campaigns)
    report = await asyncio.to_thread(campaign_results, sessions_of(request))
    if settings_form is None:
        current_settings = await asyncio.to_thread(repo.settings)
        settings_form = {k: f"{v:g}" for k, v in asdict(current_settings).items()}
    context = {
        "campaigns": campaigns,
        "figures": {r.key: r for r in report.campaigns},
        "settings_form": settings_form,
        "settings_errors": settings_errors or [],
        "saved": request.query.get("saved") == "settings",
    }
    return aiohttp_jinja2.render_template("campaigns/list.html", request, context, status=status)


@requires(*MARKETER_ROLES)
async def campaign_list(request: web.Request) -> web.StreamResponse:
    """Every campaign with its schedule, triggers and exposures at a glance."""
    return await _render_list(request)


@requires(*MARKETER_ROLES)
async def save_settings(request: web.Request) -> web.StreamResponse:
    """Save the rules across all campaigns (hold-out, caps per customer per day and week)."""
    post = await request.post()
    typed = {name: str(post.get(name, ""))[:40] for name in SETTINGS_FIELDS}
    data = {name: parse_number(value) for name, value in typed.items() if value.strip()}
    try:
        settings = settings_from_dict(data)
    except CampaignError as exc:
        return await _render_list(
            request, settings_form=typed, settings_errors=exc.problems, status=400
        )
    repo = repository_of(request)
    before = await asyncio.to_thread(repo.settings)
    changed = {k: v for k, v in asdict(settings).items() if asdict(before)[k] != v}
    actor = actor_of(request).email
    entry = audit_entry(actor, "promotion_settings_updated", "promotion settings", changed)
    try:
        await asyncio.to_thread(partial(repo.save_settings, settings, alongside=entry))
    except SQLAlchemyError:
        logger.exception("saving the promotion settings failed")
        return await _render_list(
            request, settings_form=typed, settings_errors=[NOT_STORED], status=503
        )
    return see_other("/marketing/campaigns?saved=settings")


def _render_editor(
    request: web.Request,
    form: CampaignForm,
    *,
    campaign: Campaign | None,
    problems: list[str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    context: dict[str, Any] = {
        "form": form.with_blank_variant(),
        "campaign": campaign,
        "problems": problems or [],
        "errors": field_errors(problems or []),
        "statuses": STATUSES,
        "triggers": TRIGGERS,
        "saved": request.query.get("saved") == "1",
    }
    return aiohttp_jinja2.render_template("campaigns/editor.html", request, context, status=status)


@requires(*MARKETER_ROLES)
async def new_campaign(request: web.Request) -> web.StreamResponse:
    """The editor of a new campaign (saved as a draft unless another status is chosen)."""
    return _render_editor(request, blank_form(), campaign=None)


@requires(*MARKETER_ROLES)
async def edit_campaign(request: web.Request) -> web.StreamResponse:
    """The editor filled in with the campaign."""
    campaign = await load_campaign(request)
    return _render_editor(request, form_from_campaign(campaign), campaign=campaign)


@requires(*MARKETER_ROLES)
async def create_campaign(request: web.Request) -> web.StreamResponse:
    """Validate and save a new campaign; a key already in use is refused."""
    form = form_from_post(await request.post())
    key = form.fields["key"].strip()
    try:
        await asyncio.to_thread(repository_of(request).campaign, key)
    except UnknownCampaign:
        return await _save(request, form, before=None)
    problem = f"key: a campaign called {key!r} exists already; open it from the list to edit it"
    return _render_editor(request, form, campaign=None, problems=[problem], status=400)


@requires(*MARKETER_ROLES)
async def update_campaign(request: web.Request) -> web.StreamResponse:
    """Validate and save the edited campaign (its key stays what the URL says)."""
    before = await load_campaign(request)
    form = form_from_post(await request.post())
    form.fields["key"] = before.key
    return await _save(request, form, before=before)


async def _save(
    request: web.Request, form: CampaignForm, *, before: Campaign | None
) -> web.StreamResponse:
    repo = repository_of(request)
    actor = actor_of(request).email

    def audited(s: Session, campaign: Campaign) -> None:
        # Runs inside the save's transaction: no saved change without its audit entry.
        detail: dict[str, Any]
        if before is None:
            action, detail = "campaign_created", {"status": campaign.status}
        else:
            after, old = campaign_to_dict(campaign), campaign_to_dict(before)
            action = "campaign_updated"
            detail = {"changed": sorted(k for k in after if after[k] != old.get(k))}
            if before.status != campaign.status:
                detail["status"] = [before.status, campaign.status]
        audit_entry(actor, action, f"campaign {campaign.key}", detail)(s)

    data = campaign_data(form)
    if before is not None and before.outreach is not None and "outreach" in data["triggers"]:
        # The form has no fields for the outreach block yet: an edit keeps it as it was
        # (unticking the outreach trigger turns outreach off, block and all).
        data["outreach"] = outreach_to_dict(before.outreach)
    try:
        campaign = await asyncio.to_thread(
            partial(repo.save_campaign_data, data, alongside=audited)
        )
    except CampaignError as exc:
        return _render_editor(request, form, campaign=before, problems=exc.problems, status=400)
    except SQLAlchemyError:
        logger.exception("saving campaign %s failed", form.fields["key"])
        return _render_editor(request, form, campaign=before, problems=[NOT_STORED], status=503)
    return see_other(f"/marketing/campaigns/{campaign.key}?saved=1")
