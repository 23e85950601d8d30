"""The customer web chat's pages: the front page, chat start and the full-page chat.

The sender id never comes from the browser: ``POST /chat/start`` issues it and carries it
in a signed cookie (``console.signed_cookie``). A chat is linked to a customer only when
the shop's server signed for them (``console.chat.identity``); the customer picker that
lets anyone chat as any customer exists only in demo mode (``CONCIERGE_DEMO=1``), and it
mints the same signed identity and goes through the same verification. The embeddable
widget is in ``console.chat.widget``; the chat's WebSocket in ``console.chat.socket``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import aiohttp_jinja2
from aiohttp import web

from console.chat import wording
from console.chat.identity import IdentityRefused, sign_hmac_identity
from console.chat.start_guard import (
    CSRF_FIELD,
    client_address,
    csrf_ok,
    csrf_token_for,
    origin_trusted,
    set_csrf_cookie,
)
from console.keys import (
    chat_start_limiter_key,
    cookie_signer_key,
    identity_verifier_key,
    repository_key,
    settings_key,
    trusted_origins_key,
)
from console.signed_cookie import CHAT_COOKIE
from store.views import CustomerView

log = logging.getLogger(__name__)

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


async def open_chat(request: web.Request, identity: str | None) -> tuple[str, CustomerView | None]:
    """A new sender id, linked to the customer ``identity`` proves; a guest otherwise.

    Why a chat stays a guest goes to the log (ids only), never to the visitor.
    """
    sender_id = new_sender_id()
    try:
        vouched = request.app[identity_verifier_key].verify(identity)
    except IdentityRefused as refused:
        log.info("chat %s starts as a guest: identity %s", sender_id, refused.reason)
        return sender_id, None
    repository = request.app[repository_key]
    customer = await asyncio.to_thread(
        repository.link_vouched_customer, "web", sender_id, vouched.external_id
    )
    if customer is None:
        log.info(
            "chat %s starts as a guest: no customer has the shop id %s (token %s)",
            sender_id,
            vouched.external_id,
            vouched.token_id,
        )
    else:
        log.info(
            "chat %s linked to customer %s (token %s)", sender_id, customer.id, vouched.token_id
        )
    return sender_id, customer


def start_refusal(request: web.Request) -> web.Response | None:
    """429 when this address starts chats too fast; None when it may start one."""
    if request.app[chat_start_limiter_key].allow(client_address(request)):
        return None
    log.warning("chat starts refused for a client: too many in the window")
    return web.Response(status=429, text=wording.TOO_MANY_CHATS, headers={"Retry-After": "60"})


async def front_page(request: web.Request) -> web.Response:
    """The front page: in demo mode the customer picker, otherwise no customer data at all."""
    notice = wording.CHAT_ENDED_NOTICE if request.query.get("expired") else None
    return await _render_front(request, notice=notice)


async def _render_front(
    request: web.Request, *, error: str | None = None, notice: str | None = None, status: int = 200
) -> web.Response:
    csrf, fresh = csrf_token_for(request)
    context: dict[str, object] = {
        "demo": request.app[settings_key].demo,
        "csrf": csrf,
        "error": error,
        "notice": notice,
    }
    if context["demo"]:
        context.update(await _picker(request))
    response = aiohttp_jinja2.render_template("front.html", request, context, status=status)
    if fresh:
        set_csrf_cookie(response, request, csrf)
    return response


async def _picker(request: web.Request) -> dict[str, object]:
    search = request.query.get("q", "").strip()[:100]
    page = _page_number(request.query.get("page"))
    repository = request.app[repository_key]
    found = await asyncio.to_thread(
        repository.list_customers,
        limit=CUSTOMERS_PER_PAGE + 1,
        offset=page * CUSTOMERS_PER_PAGE,
        search=search or None,
    )
    return {
        "customers": found[:CUSTOMERS_PER_PAGE],
        "search": search,
        "page": page,
        "has_next": len(found) > CUSTOMERS_PER_PAGE,
        "hints": demo_hints(),
    }


def _page_number(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 10_000))
    except ValueError:
        return 0


async def start_chat(request: web.Request) -> web.Response:
    """Issue a sender id (linked to the customer a signed identity proves) and open the chat.

    The form carries ``identity`` (a shop-signed token), ``guest``, or, in demo mode
    only, the picker's ``customer_id``, for which a token is minted here and verified
    like any other.
    """
    form = await request.post()
    trusted = request.app[trusted_origins_key]
    if not origin_trusted(request, trusted, required=False) or not csrf_ok(
        request, form.get(CSRF_FIELD)
    ):
        log.info("chat start refused: no valid CSRF token or a foreign origin")
        return await _render_front(request, error=wording.START_AGAIN, status=403)
    # Counted after the CSRF check: another site's forms must not use up a visitor's starts.
    refused = start_refusal(request)
    if refused is not None:
        return refused
    identity = form.get("identity")
    token = identity if isinstance(identity, str) else None
    settings = request.app[settings_key]
    if settings.demo and not form.get("guest") and token is None:
        minted = await _demo_identity(request, str(form.get("customer_id", "")).strip())
        if isinstance(minted, web.Response):
            return minted
        token = minted
    sender_id, _ = await open_chat(request, token)
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


async def _demo_identity(request: web.Request, raw_id: str) -> str | web.Response:
    """The demo picker's signed identity for a customer, or the front page's refusal."""
    if not raw_id.isdigit():
        return await _render_front(request, error=wording.CHOOSE_A_CUSTOMER, status=400)
    repository = request.app[repository_key]
    customer = await asyncio.to_thread(repository.get_customer, int(raw_id))
    if customer is None:
        return await _render_front(request, error=wording.no_such_customer(raw_id), status=400)
    if not customer.external_ref:
        return await _render_front(request, error=wording.no_shop_account(raw_id), status=400)
    secret = request.app[settings_key].identity_secret
    return sign_hmac_identity(secret, customer.external_ref)


async def chat_page(request: web.Request) -> web.Response:
    """The chat page of the sender id in the cookie; no valid cookie goes to the front page."""
    sender_id = request.app[cookie_signer_key].verify(request.cookies.get(CHAT_COOKIE))
    if sender_id is None:
        return web.Response(status=303, headers={"Location": "/?expired=1"})
    repository = request.app[repository_key]
    customer = await asyncio.to_thread(repository.customer_for_sender, sender_id, "web")
    context = {
        "customer": customer,
        "max_chars": MESSAGE_MAX_CHARS,
        "demo": request.app[settings_key].demo,
    }
    return aiohttp_jinja2.render_template("chat.html", request, context)
