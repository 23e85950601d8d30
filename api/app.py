"""The API's aiohttp application: ``create_app(settings)`` wires everything, once.

The store is migrated and the models are loaded before the first request (start-up), so
``/healthz`` answers only once the API can serve. A background task looks for newer
artifacts every ``refresh_seconds`` and switches to them without a restart
(``ModelService.refresh``); another forgets answered Idempotency-Keys after a day.
Nothing is created at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from api.call_log import call_log
from api.metrics import ApiMetrics
from api.offers import OfferDecider
from api.problems import problems
from api.products import EncoderFactory, ProductAnswers, serving_encoder
from api.rate_limits import token_buckets
from api.routes import add_routes
from api.schemas import MAX_BODY_BYTES
from api.serving import ModelService
from api.typedefs import (
    API_KEYS,
    IDEMPOTENCY,
    LINKING,
    METRICS,
    OFFERS,
    PRODUCTS,
    RATE_LIMITS,
    SERVICE,
    SETTINGS,
)
from concierge.settings import Settings
from store.account_linking import AccountLinking
from store.api_idempotency import ApiIdempotencyKeys
from store.api_keys import ApiKeys
from store.db import make_engine, make_session_factory, upgrade, utcnow

log = logging.getLogger(__name__)

# How often a running API looks for a newly trained recommender.
REFRESH_SECONDS = 10.0
# How long an Idempotency-Key's answer is replayed; older ones are deleted hourly.
IDEMPOTENCY_KEPT = timedelta(days=1)
PURGE_SECONDS = 3600.0


def create_app(
    settings: Settings,
    *,
    refresh_seconds: float = REFRESH_SECONDS,
    encoder_factory: EncoderFactory = serving_encoder,
) -> web.Application:
    """Build the API application for ``settings``.

    ``encoder_factory`` makes the search's text encoder on the first search (the packaged
    model by default; a test points it at a folder without one to see the 503).
    """
    # call_log is outermost so it sees the status the problems middleware answered with.
    app = web.Application(middlewares=[call_log, problems], client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[METRICS] = ApiMetrics()

    async def resources(app: web.Application) -> AsyncIterator[None]:
        await asyncio.to_thread(upgrade, settings.db_url)
        engine = make_engine(settings.db_url)
        sessions = make_session_factory(engine)
        app[API_KEYS] = ApiKeys(sessions)
        app[OFFERS] = OfferDecider(sessions)
        app[IDEMPOTENCY] = ApiIdempotencyKeys(sessions)
        app[LINKING] = AccountLinking(sessions)
        limits = token_buckets(
            settings.redis_url, settings.api_rate_per_minute, settings.api_rate_burst
        )
        app[RATE_LIMITS] = limits
        service = ModelService(settings.artifacts_dir, sessions)
        await asyncio.to_thread(service.refresh)
        app[SERVICE] = service
        app[PRODUCTS] = ProductAnswers(service, encoder_factory)
        tasks = [
            asyncio.create_task(_keep_fresh(service, refresh_seconds)),
            asyncio.create_task(_purge_idempotency_keys(app[IDEMPOTENCY])),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await limits.close()
            engine.dispose()

    app.cleanup_ctx.append(resources)
    add_routes(app)
    return app


async def _keep_fresh(service: ModelService, every: float) -> None:
    """Switch to newer artifacts as training writes them."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(service.refresh)
        except Exception:  # a broken artifact must not stop the checks that follow
            log.exception("api: looking for newer models failed")


async def _purge_idempotency_keys(keys: ApiIdempotencyKeys) -> None:
    """Forget answered Idempotency-Keys older than ``IDEMPOTENCY_KEPT``, now and hourly."""
    while True:
        try:
            gone = await asyncio.to_thread(keys.forget_before, utcnow() - IDEMPOTENCY_KEPT)
            if gone:
                log.info("api: forgot %d idempotency keys older than a day", gone)
        except Exception:  # the next round tries again; serving goes on meanwhile
            log.exception("api: forgetting old idempotency keys failed")
        await asyncio.sleep(PURGE_SECONDS)
