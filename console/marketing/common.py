"""What the marketer pages share: the promotions database handle, roles, and campaign lookup."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from console.keys import promotion_sessions_key
from console.staff.accounts import Account, write_audit
from console.staff.auth import current
from promotions.campaigns import Campaign
from promotions.repository import PromotionRepository, UnknownCampaign
from store.db import utcnow

# Admins pass every role check anyway; agents do not get in (issue #6: an agent cannot
# change campaigns, and the results are the marketers' business).
MARKETER_ROLES = ("marketer",)
KEY_PATTERN = "[a-z0-9][a-z0-9_-]{0,63}"


def sessions_of(request: web.Request) -> sessionmaker[Session]:
    """The session factory of the shop database, where campaigns live."""
    return request.app[promotion_sessions_key]


def repository_of(request: web.Request) -> PromotionRepository:
    """A campaign repository on the shop database."""
    return PromotionRepository(sessions_of(request))


def actor_of(request: web.Request) -> Account:
    """The signed-in account (the handlers are guarded by ``requires``)."""
    account = current(request).account
    assert account is not None  # guaranteed by @requires
    return account


async def load_campaign(request: web.Request) -> Campaign:
    """The campaign named in the URL; 404 with a clear text when there is none."""
    key = request.match_info["key"]
    try:
        return await asyncio.to_thread(repository_of(request).campaign, key)
    except UnknownCampaign as exc:
        raise web.HTTPNotFound(text=f"There is no campaign {key!r}.") from exc


def audit_entry(
    actor: str, action: str, target: str, detail: dict[str, Any]
) -> Callable[[Session], None]:
    """Adds a marketer's change to the audit log inside the session of the change itself.

    Passed as a repository save's ``alongside``, so change and audit entry commit together.
    """

    def add(s: Session) -> None:
        write_audit(s, utcnow(), actor, action, target, detail)

    return add
