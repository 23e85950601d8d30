"""API keys on every call: ``Authorization: Bearer <token>``, then the endpoint's scope.

No key, a malformed, unknown or revoked one: 401 (with ``WWW-Authenticate``). A valid key
over its rate limit: 429 with ``Retry-After`` (calls without the scope count too, so
probing is throttled as well). A valid key without the endpoint's scope: 403 naming it. The key is looked up on every call
(one indexed read), so a revocation takes effect at once, in every API process.
"""

from __future__ import annotations

import asyncio
import math

from aiohttp import web

from api.problems import ApiProblem
from api.typedefs import API_KEYS, KEY_ID, METRICS, RATE_LIMITS
from store.api_keys import ApiKeyView

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="concierge-api"'}


async def authorise(request: web.Request, scope: str) -> ApiKeyView:
    """The calling key, checked to hold ``scope``; raises a 401 or 403 problem otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(
            "unauthorized",
            "Send an API key as `Authorization: Bearer <key>` "
            "(keys are made with `python -m api keys create`).",
            headers=CHALLENGE,
        )
    key = await asyncio.to_thread(request.app[API_KEYS].authenticate, token)
    if key is None:
        raise ApiProblem(
            "unauthorized", "This API key is not valid or was revoked.", headers=CHALLENGE
        )
    request[KEY_ID] = key.key_id
    await _within_rate_limit(request, key.key_id)
    if scope not in key.scopes:
        raise ApiProblem(
            "forbidden", f"This API key lacks the scope {scope!r} this endpoint needs."
        )
    return key


async def _within_rate_limit(request: web.Request, key_id: str) -> None:
    """Spend one of the key's tokens; a 429 problem with ``Retry-After`` when there is none."""
    wait = await request.app[RATE_LIMITS].take(key_id)
    if wait <= 0:
        return
    request.app[METRICS].rate_limited.labels(key_id).inc()
    seconds = max(1, math.ceil(wait))
    raise ApiProblem(
        "rate-limited",
        f"This API key made more calls than its rate limit allows; retry in {seconds} s.",
        headers={"Retry-After": str(seconds)},
    )
