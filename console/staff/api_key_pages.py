"""Admin pages for the API keys of the shop's other systems: list, create, revoke.

The same store functions as ``python -m api keys create|list|revoke`` (``store.api_keys``),
so a key made here is the key the API checks. A new key's token is in the body of the one
response that creates it (never in a URL, the audit log or a log line; ``no-store`` so the
browser keeps no copy); afterwards only its public key id is shown. Revoking asks first,
on a page of its own, because every system using the key gets 401 from then on.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console.keys import api_keys_key, staff_directory_key
from console.staff.auth import current, requires, see_other
from store.api_keys import NAME_MAX, SCOPES, ApiKeyError, ApiKeyView

LIST_TEMPLATE = "staff/api_keys.html"
CREATED_TEMPLATE = "staff/api_key_created.html"
REVOKE_TEMPLATE = "staff/api_key_revoke.html"
KEY_ID_PATTERN = "[0-9a-f]{12}"
_KEY_ID = re.compile(f"^{KEY_ID_PATTERN}$")
NO_STORE = {"Cache-Control": "no-store"}


async def _render_list(
    request: web.Request,
    *,
    error: str | None = None,
    revoked: ApiKeyView | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    keys = await asyncio.to_thread(request.app[api_keys_key].list)
    context = {
        "keys": keys,
        "scopes": SCOPES,
        "name_max": NAME_MAX,
        "error": error,
        "revoked": revoked,
        "form": form or {"name": "", "scopes": []},
    }
    return aiohttp_jinja2.render_template(LIST_TEMPLATE, request, context, status=status)


@requires("admin")
async def api_keys_page(request: web.Request) -> web.StreamResponse:
    """Every key (never a secret), and the form to create one."""
    revoked = None
    wanted = request.query.get("revoked", "")
    if _KEY_ID.match(wanted):
        keys = await asyncio.to_thread(request.app[api_keys_key].list)
        revoked = next((k for k in keys if k.key_id == wanted), None)
    return await _render_list(request, revoked=revoked)


@requires("admin")
async def create_api_key(request: web.Request) -> web.StreamResponse:
    """Create a key; its token is shown on the page this returns, and never again."""
    form = await request.post()
    name = str(form.get("name", ""))[: NAME_MAX * 2]
    chosen = [str(s) for s in form.getall("scope", [])]
    known = SCOPES
    unknown = sorted(set(chosen) - set(known))
    kept = {"name": name, "scopes": chosen}
    if unknown:
        problem = f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(known)}"
        return await _render_list(request, error=problem, form=kept, status=400)
    try:
        key, token = await asyncio.to_thread(request.app[api_keys_key].create, name, chosen)
    except ApiKeyError as exc:
        return await _render_list(request, error=str(exc), form=kept, status=400)
    await _audit(request, "api_key_created", key)
    context = {"key": key, "token": token, "scopes": known}
    response = aiohttp_jinja2.render_template(CREATED_TEMPLATE, request, context)
    response.headers.update(NO_STORE)
    return response


@requires("admin")
async def revoke_page(request: web.Request) -> web.StreamResponse:
    """Ask before revoking: name the key and what revoking it does."""
    key = await _key(request)
    return aiohttp_jinja2.render_template(REVOKE_TEMPLATE, request, {"key": key})


@requires("admin")
async def revoke_api_key(request: web.Request) -> web.StreamResponse:
    """Revoke the key once confirmed; it gets 401 from the API at once."""
    form = await request.post()
    if form.get("confirm") != "yes":
        return see_other(f"/admin/api-keys/{request.match_info['key_id']}/revoke")
    try:
        key = await asyncio.to_thread(
            request.app[api_keys_key].revoke, request.match_info["key_id"]
        )
    except ApiKeyError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    await _audit(request, "api_key_revoked", key)
    return see_other(f"/admin/api-keys?revoked={key.key_id}")


async def _key(request: web.Request) -> ApiKeyView:
    key_id = request.match_info["key_id"]
    keys = await asyncio.to_thread(request.app[api_keys_key].list)
    found = next((k for k in keys if k.key_id == key_id), None)
    if found is None:
        raise web.HTTPNotFound(text=f"There is no API key {key_id}; see /admin/api-keys.")
    return found


async def _audit(request: web.Request, action: str, key: ApiKeyView) -> None:
    """Record who made or revoked which key: its public id, name and scopes, never the token."""
    actor = current(request).account
    assert actor is not None  # guaranteed by @requires
    await asyncio.to_thread(
        request.app[staff_directory_key].record,
        actor.email,
        action,
        f"api key {key.key_id}",
        {"name": key.name, "scopes": list(key.scopes)},
    )
