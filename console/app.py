"""The console's aiohttp application: customer web chat, staff sign-in, review and handoff.

``create_app(settings)`` builds everything from settings; nothing is created at import
time. Pages are Jinja2 templates with autoescaping on; JavaScript and CSS are plain
files under ``console/static`` served by the app itself (no CDN, no build step).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from concierge.settings import Settings
from console.chat.hub import ChatHub
from console.chat.pages import add_chat_routes
from console.chat.rasa_client import DEFAULT_TIMEOUT_SECONDS, RasaClient
from console.handoff.desk import HandoffDesk
from console.handoff.pages import add_handoff_routes
from console.keys import (
    chat_hub_key,
    conversation_list_key,
    conversation_reader_key,
    cookie_signer_key,
    handoff_desk_key,
    rasa_client_key,
    repository_key,
    review_desk_key,
    settings_key,
    staff_directory_key,
    staff_sessions_key,
    throttle_key,
    tracker_reader_key,
)
from console.marketing.pages import add_campaign_routes
from console.signed_cookie import CookieSigner
from console.staff.accounts import StaffDirectory
from console.staff.auth import staff_context, staff_template_context
from console.staff.conversation_detail import ConversationReader
from console.staff.conversation_list import ConversationList
from console.staff.conversation_pages import add_conversation_routes
from console.staff.pages import add_staff_routes
from console.staff.reviews import ReviewDesk
from console.staff.sessions import StaffSessions
from console.staff.sign_in_throttle import SignInThrottle
from console.staff.tracker_reader import TrackerReader
from console.support_tools import add_support_tools, page_latency
from store.db import make_engine, make_session_factory
from store.policy import load_policy
from store.repository import ShopRepository

CONSOLE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = CONSOLE_DIR / "templates"
STATIC_DIR = CONSOLE_DIR / "static"

# No inline script or style anywhere, so the policy can forbid them: even a markup
# injection that slipped past escaping could not run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: http: data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    settings: Settings,
    *,
    cookie_secret: bytes | None = None,
    rasa_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    throttle: SignInThrottle | None = None,
) -> web.Application:
    """Build the console application.

    ``cookie_secret`` signs chat cookies; without one a random secret is made at start,
    so chats do not survive a console restart (fine for the demo; pass a fixed secret
    when running several console processes behind one address).
    """
    app = web.Application(middlewares=[page_latency, security_headers, staff_context])
    app[settings_key] = settings
    app[chat_hub_key] = ChatHub()
    secret = cookie_secret or (
        settings.console_secret.encode() if settings.console_secret else None
    )
    secret = secret or secrets.token_bytes(32)
    app[cookie_signer_key] = CookieSigner(secret)
    app[staff_sessions_key] = StaffSessions(secret)
    app[throttle_key] = throttle or SignInThrottle()

    engine = make_engine(settings.db_url)
    session_factory = make_session_factory(engine)
    app[repository_key] = ShopRepository(session_factory, policy=load_policy(settings.policy_file))
    app[staff_directory_key] = StaffDirectory(session_factory)
    app[handoff_desk_key] = HandoffDesk(session_factory)
    tracker = TrackerReader(settings.tracker_db_url)
    app[tracker_reader_key] = tracker
    app[conversation_list_key] = ConversationList(session_factory, tracker)
    app[conversation_reader_key] = ConversationReader(session_factory, tracker)
    app[review_desk_key] = ReviewDesk(session_factory)

    async def shop_engine(app: web.Application) -> AsyncIterator[None]:
        yield
        tracker.close()
        engine.dispose()

    async def rasa_connection(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            app[rasa_client_key] = RasaClient(settings.rasa_url, session, rasa_timeout_seconds)
            yield

    async def close_chats(app: web.Application) -> None:
        await app[chat_hub_key].close_all()

    app.cleanup_ctx.extend([shop_engine, rasa_connection])
    app.on_shutdown.append(close_chats)

    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        context_processors=[staff_template_context],
    )
    app[aiohttp_jinja2.static_root_key] = "/static"
    app.router.add_static("/static/", STATIC_DIR, name="static")
    add_chat_routes(app)
    add_staff_routes(app)
    add_conversation_routes(app)
    add_handoff_routes(app)
    add_campaign_routes(app, session_factory)
    add_support_tools(app, settings, session_factory)
    app.router.add_get("/healthz", healthz, name="healthz")
    return app


async def healthz(request: web.Request) -> web.Response:
    """Liveness for the supervisor and load balancers: the app answers and the store opens."""
    try:
        request.app[repository_key].list_customers(limit=1)
    except Exception as exc:  # the store is down: say so, don't crash
        return web.json_response({"status": "degraded", "store": str(exc)[:200]}, status=503)
    return web.json_response({"status": "ok"})


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the content security policy and friends to every response."""
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
