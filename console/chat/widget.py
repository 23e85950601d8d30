"""The embeddable chat widget: ``/widget.js`` for the shop's page, ``/widget`` for its frame.

A shop adds one ``<script src=".../widget.js" data-identity="...">`` tag. The script (on
the shop's origin) opens ``/widget`` in an iframe (the console's origin) and hands it the
shop-signed identity by ``postMessage`` (never in a URL, so it stays out of access logs).
The frame trades it at ``POST /widget/session`` for a chat ticket (the signed sender id,
as in the chat cookie) and opens the chat's WebSocket with that ticket; no third-party
cookie is needed, so browsers that block them still work.

Only the console's own origin and the trusted origins (``CONCIERGE_ALLOWED_ORIGINS``, plus
the demo shop page in demo mode) may frame the widget or call these endpoints.
"""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web

from console.chat.pages import MESSAGE_MAX_CHARS, open_chat, start_refusal
from console.chat.start_guard import origin_trusted
from console.keys import cookie_signer_key, trusted_origins_key
from console.middleware import CONTENT_SECURITY_POLICY

log = logging.getLogger(__name__)

WIDGET_SCRIPT = Path(__file__).resolve().parent.parent / "static" / "js" / "widget.js"
# Sent by the frame's own script; a cross-site form cannot set it, and a cross-origin
# fetch that does needs a CORS preflight this console never grants.
WIDGET_HEADER = "X-Concierge-Widget"
MAX_SESSION_BODY = 4096


def frame_policy(trusted: frozenset[str]) -> str:
    """The console's CSP, except that the trusted shop pages may frame this page."""
    ancestors = " ".join(["'self'", *sorted(trusted)])
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")


async def widget_script(request: web.Request) -> web.FileResponse:
    """The script a shop's page includes; it draws the launcher and the chat frame."""
    return web.FileResponse(
        WIDGET_SCRIPT,
        headers={"Content-Type": "text/javascript", "Cache-Control": "public, max-age=300"},
    )


async def widget_page(request: web.Request) -> web.Response:
    """The chat inside the shop's page (framed only by trusted origins)."""
    trusted = request.app[trusted_origins_key]
    context = {
        "max_chars": MESSAGE_MAX_CHARS,
        "widget": True,
        "customer": None,  # known only once the frame has traded the shop's identity
        "parent_origins": " ".join(sorted(trusted)),
    }
    response = aiohttp_jinja2.render_template("widget.html", request, context)
    response.headers["Content-Security-Policy"] = frame_policy(trusted)
    return response


async def widget_session(request: web.Request) -> web.Response:
    """Start the widget's chat: JSON ``{"identity": token | null}`` in, a chat ticket out."""
    if request.headers.get(WIDGET_HEADER) != "1" or not origin_trusted(
        request, request.app[trusted_origins_key], required=True
    ):
        log.info("widget session refused: missing widget header or a foreign origin")
        return web.json_response({"error": "forbidden"}, status=403)
    refused = start_refusal(request)
    if refused is not None:
        return refused
    if request.content_length is not None and request.content_length > MAX_SESSION_BODY:
        return web.json_response({"error": "too_large"}, status=413)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return web.json_response({"error": "invalid_body"}, status=400)
    identity = body.get("identity")
    sender_id, customer = await open_chat(request, identity if isinstance(identity, str) else None)
    ticket = request.app[cookie_signer_key].sign(sender_id)
    who = {"name": customer.display_name} if customer else None
    return web.json_response(
        {"ticket": ticket, "customer": who}, headers={"Cache-Control": "no-store"}
    )
