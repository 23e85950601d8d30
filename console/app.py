"""The console's aiohttp application: customer web chat, staff sign-in, review and handoff.

``create_app(settings)`` builds everything from settings and is the only place that
wires the app: it makes each service once, stores it under its key (``console.keys``),
registers the routes (``console.routes``) and says what is closed on shutdown. Nothing
is created at import time. Pages are Jinja2 templates with autoescaping on; JavaScript
and CSS are plain files under ``console/static`` served by the app itself.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from concierge.formatting import money
from concierge.settings import Settings
from console import keys
from console.chat.hub import ChatHub
from console.chat.identity import IdentityVerifier
from console.chat.rasa_client import DEFAULT_TIMEOUT_SECONDS, RasaClient
from console.chat.start_guard import StartLimiter, trusted_origins
from console.handoff.delivery import CustomerChannels
from console.handoff.desk import HandoffDesk
from console.live.feed import LiveFeed
from console.live.pages import live_since
from console.live.store_summary import StoreLiveSummary
from console.metrics import ConsoleMetrics, StoreTotals
from console.middleware import page_latency, security_headers
from console.routes import add_routes
from console.shared.middleware import shared_state_unavailable, trusted_forwarding
from console.shared.wiring import shared_state
from console.signed_cookie import CookieSigner
from console.staff.accounts import StaffDirectory
from console.staff.auth import staff_context, staff_template_context
from console.staff.bot_intents import fallback_threshold
from console.staff.conversation_detail import ConversationReader
from console.staff.conversation_export import ConversationExporter
from console.staff.conversation_list import ConversationList
from console.staff.erasure_desk import ErasureDesk
from console.staff.nlu_inbox import NluInbox
from console.staff.password_checks import PasswordCheckPool
from console.staff.pseudonyms import Pseudonyms
from console.staff.reviews import ReviewDesk
from console.staff.session_store import SqlStaffSessionStore
from console.staff.sessions import StaffSessions
from console.staff.sign_in_throttle import SignInThrottle
from console.staff.tracker_reader import TrackerReader
from store.api_keys import ApiKeys
from store.chat_totals import ChatTotalsQuery
from store.db import make_engine, make_session_factory
from store.policy import load_policy
from store.repository import ShopRepository

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


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
    # Behind a trusted load balancer request.remote is the client's address (first, so every
    # later middleware and handler sees it); a Redis outage becomes a 503 with advice.
    app = web.Application(
        middlewares=[
            trusted_forwarding(settings.trusted_proxies),
            page_latency,
            security_headers,
            shared_state_unavailable,
            staff_context,
        ]
    )
    app[keys.settings_key] = settings
    # With CONCIERGE_REDIS_URL: chats, throttles and staff sessions shared by every instance.
    shared = shared_state(settings)
    app[keys.chat_hub_key] = shared.chat_hub if shared else ChatHub()
    secret = cookie_secret or (
        settings.console_secret.encode() if settings.console_secret else None
    )
    secret = secret or secrets.token_bytes(32)
    app[keys.cookie_signer_key] = CookieSigner(secret)
    app[keys.identity_verifier_key] = IdentityVerifier(
        settings.identity_secret, shared.replay_guard if shared else None
    )
    app[keys.chat_start_limiter_key] = shared.start_limiter if shared else StartLimiter()
    app[keys.trusted_origins_key] = trusted_origins(settings)
    app[keys.throttle_key] = throttle or (shared.sign_in_throttle if shared else SignInThrottle())
    password_checks = PasswordCheckPool()
    app[keys.password_checks_key] = password_checks
    pseudonyms = Pseudonyms(secret)
    app[keys.pseudonyms_key] = pseudonyms

    # The shop database: one engine, one session factory for every service below.
    engine = make_engine(settings.db_url)
    sessions = make_session_factory(engine)
    app[keys.repository_key] = ShopRepository(sessions, policy=load_policy(settings.policy_file))
    app[keys.staff_directory_key] = StaffDirectory(sessions)
    app[keys.staff_sessions_key] = StaffSessions(
        secret, shared.staff_session_store if shared else SqlStaffSessionStore(sessions)
    )
    app[keys.handoff_desk_key] = HandoffDesk(sessions)
    app[keys.customer_channels_key] = CustomerChannels.from_settings(
        app[keys.chat_hub_key], settings
    )
    app[keys.review_desk_key] = ReviewDesk(sessions)
    app[keys.promotion_sessions_key] = sessions
    app[keys.api_keys_key] = ApiKeys(sessions)

    # Rasa's tracker store: one read-only engine, opened lazily, shared by every reader.
    tracker = TrackerReader(settings.tracker_db_url)
    app[keys.tracker_reader_key] = tracker
    listing = ConversationList(sessions, tracker)
    reader = ConversationReader(sessions, tracker)
    app[keys.conversation_list_key] = listing
    app[keys.conversation_reader_key] = reader
    app[keys.conversation_exporter_key] = ConversationExporter(listing, reader, pseudonyms)
    app[keys.nlu_inbox_key] = NluInbox(sessions, tracker, fallback_threshold())
    # Erasure writes to the tracker store and scrubs the services' logs (var/logs).
    app[keys.erasure_desk_key] = ErasureDesk(
        app[keys.repository_key], sessions, settings.tracker_db_url, settings.var_dir / "logs"
    )

    metrics = ConsoleMetrics(StoreTotals(ChatTotalsQuery(sessions), tracker))
    app[keys.console_metrics_key] = metrics

    async def databases(app: web.Application) -> AsyncIterator[None]:
        yield
        tracker.close()
        password_checks.close()
        engine.dispose()

    async def rasa_connection(app: web.Application) -> AsyncIterator[None]:
        # The client is metered from birth: the metrics observe every turn it relays.
        async with aiohttp.ClientSession() as session:
            app[keys.rasa_client_key] = RasaClient(
                settings.rasa_url,
                session,
                rasa_timeout_seconds,
                observer=metrics,
                channel_secret=settings.channel_secret,
            )
            yield

    # The staff pages' live feed (console/live): this instance's own queue on Rasa's
    # event exchange when a broker is configured, the store's tables otherwise.
    app[keys.store_live_summary_key] = StoreLiveSummary(sessions)
    if settings.broker_url:
        from console.live.consumer import BrokerConsumer  # aio-pika: the 'scale' extra

        feed = LiveFeed()
        app[keys.live_feed_key] = feed

        async def live_events(app: web.Application) -> AsyncIterator[None]:
            consumer = BrokerConsumer(settings.broker_url, feed, instance=settings.instance_name)
            consumer.start()
            yield
            await consumer.stop()

        app.cleanup_ctx.append(live_events)

    async def chat_fanout(app: web.Application) -> AsyncIterator[None]:
        await app[keys.chat_hub_key].start()
        yield
        if shared:
            shared.close()

    async def close_chats(app: web.Application) -> None:
        await app[keys.chat_hub_key].close_all()

    app.cleanup_ctx.extend([databases, rasa_connection, chat_fanout])
    app.on_shutdown.append(close_chats)

    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        context_processors=[staff_template_context],
    )
    environment.filters["money"] = money
    environment.globals["live_since"] = live_since
    app[aiohttp_jinja2.static_root_key] = "/static"
    add_routes(app)
    return app
