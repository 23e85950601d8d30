"""The download of a filtered conversation set: ``/staff/conversations/export.csv`` or ``.jsonl``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from console.keys import conversation_exporter_key, staff_directory_key
from console.staff.auth import current, requires
from console.staff.conversation_export import stream_export
from console.staff.conversation_list import ConversationFilters, FilterError


@requires("agent")
async def export_conversations(request: web.Request) -> web.StreamResponse:
    """Stream the conversations the query's filters select; redacted unless the reader is admin."""
    fmt = request.match_info["fmt"]
    account = current(request).account
    assert account is not None
    query = {k: v for k, v in request.query.items() if k != "page"}
    try:
        filters = ConversationFilters.parse(query)
    except FilterError as exc:
        raise web.HTTPBadRequest(text=f"Cannot export: {exc}.") from exc
    redacted = "admin" not in account.roles
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    # Written before the data leaves, so an interrupted download is on record too.
    await asyncio.to_thread(
        request.app[staff_directory_key].record,
        account.email,
        "conversations_exported",
        f"{fmt} export",
        {"filters": {k: v for k, v in query.items() if v}, "redacted": redacted},
    )
    response, _ = await stream_export(
        request,
        request.app[conversation_exporter_key],
        filters,
        fmt,
        redacted=redacted,
        filename=f"conversations-{stamp}.{fmt}",
    )
    return response
