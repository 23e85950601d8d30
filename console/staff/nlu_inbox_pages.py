"""Agent pages of the NLU inbox: doubtful messages, the correction form, and the YAML downloads."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console.keys import nlu_inbox_key
from console.staff.auth import current, requires, see_other
from console.staff.bot_intents import bot_intents
from console.staff.nlu_export import e2e_stories_yaml, nlu_yaml
from console.staff.nlu_inbox import CorrectionError

MAX_PAGE = 10_000


def _page_number(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), MAX_PAGE))
    except ValueError:
        return 0


@requires("agent")
async def inbox_page(request: web.Request) -> web.StreamResponse:
    """Messages the bot misunderstood or was unsure of, newest first."""
    return await _render(request)


async def _render(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    inbox = request.app[nlu_inbox_key]
    page_number = _page_number(request.query.get("page"))
    open_only = request.query.get("show") != "all"
    page = await asyncio.to_thread(inbox.page, page_number, open_only=open_only)
    intents = await asyncio.to_thread(bot_intents)
    show = "open" if open_only else "all"
    context: dict[str, Any] = {
        "page": page,
        "intents": intents,
        "show": show,
        "threshold": inbox.unsure_below,
        "error": error,
        "prev_link": f"?show={show}&page={page.page - 1}" if page.page > 0 else None,
        "next_link": f"?show={show}&page={page.page + 1}" if page.has_next else None,
    }
    return aiohttp_jinja2.render_template("staff/nlu_inbox.html", request, context, status=status)


@requires("agent")
async def correct_message(request: web.Request) -> web.StreamResponse:
    """Store the intent the agent picked for one message."""
    event_id = int(request.match_info["event_id"])
    form = await request.post()
    account = current(request).account
    assert account is not None
    intent = str(form.get("intent", "")).strip()
    intents = await asyncio.to_thread(bot_intents)
    try:
        await asyncio.to_thread(
            request.app[nlu_inbox_key].correct, event_id, intent, account.email, intents
        )
    except CorrectionError as exc:
        if "no customer message" in str(exc):
            raise web.HTTPNotFound(text=str(exc)) from exc
        return await _render(request, error=str(exc), status=400)
    back = str(form.get("back", ""))
    target = back if back.startswith("?") and "\n" not in back else ""
    return see_other(f"/staff/nlu-inbox{target}")


@requires("agent")
async def download_nlu(request: web.Request) -> web.StreamResponse:
    """Every correction as Rasa NLU training data."""
    corrections = await asyncio.to_thread(request.app[nlu_inbox_key].corrections)
    return _yaml_file(nlu_yaml(corrections), "nlu_inbox_corrections.yml")


@requires("agent")
async def download_stories(request: web.Request) -> web.StreamResponse:
    """Every correction as end-to-end test stories."""
    corrections = await asyncio.to_thread(request.app[nlu_inbox_key].corrections)
    return _yaml_file(e2e_stories_yaml(corrections), "test_nlu_inbox_stories.yml")


def _yaml_file(text: str, filename: str) -> web.Response:
    return web.Response(
        text=text,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
