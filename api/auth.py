"""API keys on every call: ``Authorization: Bearer <token>``, then the endpoint's scope.

No key, a malformed, unknown or revoked one: 401 (with ``WWW-Authenticate``). A valid key
without the endpoint's scope: 403 naming the scope. The key is looked up on every call
(one indexed read), so a revocation takes effect at once, in every API process.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from api.problems import ApiProblem
from api.typedefs import API_KEYS, KEY_ID
from store.api_keys import ApiKeyView

# Every scope a key can grant, and what it opens.
SCOPES: dict[str, str] = {
    "recommendations:read": "recommendations for a customer",
    "scores:read": "purchase propensity, segment and lifecycle stage of a customer",
}
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
    if scope not in key.scopes:
        raise ApiProblem(
            "forbidden", f"This API key lacks the scope {scope!r} this endpoint needs."
        )
    return key
