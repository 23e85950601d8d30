"""Staff home and the admin pages: accounts and the audit log."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console.keys import handoff_desk_key, staff_directory_key, staff_sessions_key
from console.models import ROLES
from console.staff.accounts import MIN_PASSWORD_CHARS, AccountError
from console.staff.auth import current, requires, see_other

AUDIT_PER_PAGE = 50


@requires("agent", "marketer")
async def staff_home(request: web.Request) -> web.StreamResponse:
    """Links to the sections the account may use."""
    waiting = await asyncio.to_thread(request.app[handoff_desk_key].waiting_count)
    return aiohttp_jinja2.render_template("staff/home.html", request, {"waiting": waiting})


async def _render_accounts(
    request: web.Request,
    *,
    error: str | None = None,
    created: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    accounts = await asyncio.to_thread(request.app[staff_directory_key].accounts)
    context = {
        "accounts": accounts,
        "roles": ROLES,
        "error": error,
        "created": created,
        "min_password": MIN_PASSWORD_CHARS,
        "form": form or {"email": "", "display_name": "", "roles": ["agent"]},
    }
    return aiohttp_jinja2.render_template("staff/accounts.html", request, context, status=status)


@requires("admin")
async def accounts_page(request: web.Request) -> web.StreamResponse:
    """Every account, and the form to create one."""
    return await _render_accounts(request)


@requires("admin")
async def create_account(request: web.Request) -> web.StreamResponse:
    """Create an account from the admin form; problems are shown beside the form."""
    form = await request.post()
    email = str(form.get("email", ""))[:255]
    display_name = str(form.get("display_name", ""))[:100]
    roles = [str(r) for r in form.getall("role", [])]
    actor = current(request).account
    assert actor is not None  # guaranteed by @requires
    try:
        account = await asyncio.to_thread(
            request.app[staff_directory_key].create_account,
            email,
            str(form.get("password", "")),
            roles,
            display_name=display_name,
            actor=actor.email,
        )
    except AccountError as exc:
        kept = {"email": email, "display_name": display_name, "roles": roles}
        return await _render_accounts(request, error=str(exc), form=kept, status=400)
    return await _render_accounts(request, created=account.email)


@requires("admin")
async def set_account_active(request: web.Request) -> web.StreamResponse:
    """Disable or re-enable an account (not one's own: an admin cannot lock themself out)."""
    account_id = int(request.match_info["account_id"])
    actor = current(request).account
    assert actor is not None
    if account_id == actor.id:
        return await _render_accounts(
            request, error="You cannot disable your own account.", status=400
        )
    form = await request.post()
    active = form.get("active") == "1"
    try:
        await asyncio.to_thread(
            request.app[staff_directory_key].set_active, account_id, active, actor=actor.email
        )
    except AccountError as exc:
        return await _render_accounts(request, error=str(exc), status=404)
    if not active:
        # Ended, not just refused while disabled: re-enabling must not revive a copied cookie.
        await asyncio.to_thread(request.app[staff_sessions_key].end_all, account_id)
    return see_other("/admin/accounts")


@requires("admin")
async def audit_page(request: web.Request) -> web.StreamResponse:
    """The audit log, newest first."""
    try:
        page = max(0, min(int(request.query.get("page", "0")), 100_000))
    except ValueError:
        page = 0
    entries = await asyncio.to_thread(
        request.app[staff_directory_key].audit_log,
        limit=AUDIT_PER_PAGE + 1,
        offset=page * AUDIT_PER_PAGE,
    )
    context = {
        "entries": entries[:AUDIT_PER_PAGE],
        "page": page,
        "has_next": len(entries) > AUDIT_PER_PAGE,
    }
    return aiohttp_jinja2.render_template("staff/audit.html", request, context)
