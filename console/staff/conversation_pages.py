"""Agent pages: the conversations list, a transcript, and its review (state, tags, notes)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from console.keys import (
    conversation_list_key,
    conversation_reader_key,
    repository_key,
    review_desk_key,
)
from console.models import REVIEW_STATES
from console.staff.auth import current, requires, see_other
from console.staff.conversation_detail import orders_of
from console.staff.conversation_list import FLAGS, ConversationFilters, FilterError
from console.staff.redaction import EMAIL_MARK
from console.staff.reviews import ReviewError, parse_tags
from console.staff.transcript import redacted


@requires("agent")
async def conversations_page(request: web.Request) -> web.StreamResponse:
    """Conversations, newest first, filtered by the query string."""
    query = {k: v for k, v in request.query.items()}
    try:
        filters = ConversationFilters.parse(query)
    except FilterError as exc:
        context = _list_context(query, None, str(exc))
        return aiohttp_jinja2.render_template(
            "staff/conversations.html", request, context, status=400
        )
    page = await asyncio.to_thread(request.app[conversation_list_key].page, filters)
    if not _reads_whole(request):
        rows = [replace(r, customer_email=r.customer_email and EMAIL_MARK) for r in page.rows]
        page = replace(page, rows=rows)
    return aiohttp_jinja2.render_template(
        "staff/conversations.html", request, _list_context(query, page, None)
    )


def _reads_whole(request: web.Request) -> bool:
    """Whether the reader sees personal data unredacted (admins only, as in exports)."""
    account = current(request).account
    return account is not None and "admin" in account.roles


def _list_context(query: dict[str, str], page: Any, error: str | None) -> dict[str, Any]:
    kept = {k: v for k, v in query.items() if k != "page" and v}

    def link(to_page: int) -> str:
        return "?" + urlencode({**kept, "page": to_page})

    return {
        "query": query,
        "page": page,
        "error": error,
        "flags": FLAGS,
        "states": REVIEW_STATES,
        "prev_link": link(page.page - 1) if page and page.page > 0 else None,
        "next_link": link(page.page + 1) if page and page.has_next else None,
    }


def _session_id(request: web.Request) -> int:
    return int(request.match_info["session_id"])


@requires("agent")
async def transcript_page(request: web.Request) -> web.StreamResponse:
    """Every turn of one conversation, with the customer and the review beside it."""
    return await _render_transcript(request, _session_id(request))


async def _render_transcript(
    request: web.Request, session_id: int, *, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    detail = await asyncio.to_thread(request.app[conversation_reader_key].load, session_id)
    if detail is None:
        raise web.HTTPNotFound(text=f"There is no conversation {session_id}.")
    repository = request.app[repository_key]
    customer_id = detail.session.customer_id
    customer = (
        await asyncio.to_thread(repository.get_customer, customer_id) if customer_id else None
    )
    if not _reads_whole(request):
        # The same redaction as their exports: only admins read personal data whole.
        detail = replace(detail, turns=redacted(detail.turns))
        if customer is not None:
            customer = replace(customer, email=EMAIL_MARK)
    orders = await asyncio.to_thread(orders_of, repository, customer_id)
    review = await asyncio.to_thread(request.app[review_desk_key].review_of, session_id)
    context = {
        "detail": detail,
        "customer": customer,
        "orders": orders,
        "review": review,
        "states": REVIEW_STATES,
        "error": error,
    }
    return aiohttp_jinja2.render_template("staff/transcript.html", request, context, status=status)


@requires("agent")
async def update_review(request: web.Request) -> web.StreamResponse:
    """Set the review state and tags of a conversation."""
    session_id = _session_id(request)
    form = await request.post()
    account = current(request).account
    assert account is not None
    try:
        tags = parse_tags(str(form.get("tags", "")))
        await asyncio.to_thread(
            request.app[review_desk_key].update,
            session_id,
            str(form.get("state", "")),
            tags,
            account.email,
        )
    except ReviewError as exc:
        status = 404 if "no conversation" in str(exc) else 400
        if status == 404:
            raise web.HTTPNotFound(text=str(exc)) from exc
        return await _render_transcript(request, session_id, error=str(exc), status=status)
    return see_other(f"/staff/conversations/{session_id}#review")


@requires("agent")
async def add_note(request: web.Request) -> web.StreamResponse:
    """Add a private note to a conversation."""
    session_id = _session_id(request)
    form = await request.post()
    account = current(request).account
    assert account is not None
    try:
        await asyncio.to_thread(
            request.app[review_desk_key].add_note,
            session_id,
            str(form.get("text", "")),
            account.email,
        )
    except ReviewError as exc:
        if "no conversation" in str(exc):
            raise web.HTTPNotFound(text=str(exc)) from exc
        return await _render_transcript(request, session_id, error=str(exc), status=400)
    return see_other(f"/staff/conversations/{session_id}#notes")
