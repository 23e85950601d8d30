"""The customer web chat's pages: the front page (customer picker), chat start, the chat page.

The sender id never comes from the browser: it is issued by ``POST /chat/start`` and
carried in a signed cookie (see ``console.signed_cookie``); the chat page's WebSocket
lives in ``console.chat.socket``.
"""

from __future__ import annotations

import asyncio
import secrets

import aiohttp_jinja2
from aiohttp import web

from console.chat import wording
from console.keys import cookie_signer_key, repository_key
from console.signed_cookie import CHAT_COOKIE
from store.errors import CustomerNotFound
from store.views import CustomerView

CUSTOMERS_PER_PAGE = 25
# The page stops typing here and shows a counter; the server forwards whatever arrives.
MESSAGE_MAX_CHARS = 1000


def demo_hints() -> dict[str, str]:
    """What to try as each demo customer, keyed by e-mail (the demo data fixes those).

    Imported when the front page is drawn, not when the console starts: the demo package
    is no dependency of the product.
    """
    from demo_shop.fixtures import DEMO_HINTS

    return DEMO_HINTS


def new_sender_id() -> str:
    """A fresh, unguessable sender id for one web chat."""
    return f"web-{secrets.token_urlsafe(18)}"


async def front_page(request: web.Request) -> web.Response:
    """The demo's front page: pick a customer or continue as a guest."""
    notice = None
    if request.query.get("expired"):
        notice = wording.CHAT_ENDED_NOTICE
    return await _render_front(request, notice=notice)


async def _render_front(
    request: web.Request, *, error: str | None = None, notice: str | None = None, status: int = 200
) -> web.Response:
    search = request.query.get("q", "").strip()[:100]
    page = _page_number(request.query.get("page"))
    repository = request.app[repository_key]
    found = await asyncio.to_thread(
        repository.list_customers,
        limit=CUSTOMERS_PER_PAGE + 1,
        offset=page * CUSTOMERS_PER_PAGE,
        search=search or None,
    )
    context = {
        "customers": found[:CUSTOMERS_PER_PAGE],
        "search": search,
        "page": page,
        "has_next": len(found) > CUSTOMERS_PER_PAGE,
        "hints": demo_hints(),
        "error": error,
        "notice": notice,
    }
    return aiohttp_jinja2.render_template("front.html", request, context, status=status)


def _page_number(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 10_000))
    except ValueError:
        return 0


async def start_chat(request: web.Request) -> web.Response:
    """Issue a sender id (linked to the chosen customer, if any) and open the chat."""
    form = await request.post()
    repository = request.app[repository_key]
    customer: CustomerView | None = None
    if not form.get("guest"):
        raw_id = str(form.get("customer_id", "")).strip()
        if not raw_id.isdigit():
            return await _render_front(
                request,
                error=wording.CHOOSE_A_CUSTOMER,
                status=400,
            )
        customer = await asyncio.to_thread(repository.get_customer, int(raw_id))
        if customer is None:
            return await _render_front(
                request,
                error=wording.no_such_customer(raw_id),
                status=400,
            )

    sender_id = new_sender_id()
    if customer is not None:
        try:
            await asyncio.to_thread(repository.link_identity, "web", sender_id, customer.id)
        except CustomerNotFound:
            # Deleted between the lookup and the link: same answer as an unknown id.
            return await _render_front(
                request,
                error=wording.no_such_customer(customer.id),
                status=400,
            )
    response = web.Response(status=303, headers={"Location": "/chat"})
    signer = request.app[cookie_signer_key]
    response.set_cookie(
        CHAT_COOKIE,
        signer.sign(sender_id),
        max_age=signer.ttl_seconds,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.secure,
    )
    return response


async def chat_page(request: web.Request) -> web.Response:
    """The chat page of the sender id in the cookie; no valid cookie goes to the front page."""
    sender_id = request.app[cookie_signer_key].verify(request.cookies.get(CHAT_COOKIE))
    if sender_id is None:
        return web.Response(status=303, headers={"Location": "/?expired=1"})
    repository = request.app[repository_key]
    customer = await asyncio.to_thread(repository.customer_for_sender, sender_id, "web")
    context = {"customer": customer, "max_chars": MESSAGE_MAX_CHARS}
    return aiohttp_jinja2.render_template("chat.html", request, context)
