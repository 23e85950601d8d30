"""Every typed application and request key of the API, defined once.

``api.app.create_app`` fills the application keys; the middlewares and handlers read them.
"""

from __future__ import annotations

from aiohttp import web

from api.metrics import ApiMetrics
from api.offers import OfferDecider
from api.products import ProductAnswers
from api.rate_limits import TokenBuckets
from api.serving import ModelService
from concierge.settings import Settings
from store.account_linking import AccountLinking
from store.api_idempotency import ApiIdempotencyKeys
from store.api_keys import ApiKeys

SETTINGS = web.AppKey("settings", Settings)
SERVICE = web.AppKey("service", ModelService)
PRODUCTS = web.AppKey("products", ProductAnswers)
API_KEYS = web.AppKey("api_keys", ApiKeys)
OFFERS = web.AppKey("offers", OfferDecider)
IDEMPOTENCY = web.AppKey("idempotency", ApiIdempotencyKeys)
RATE_LIMITS = web.AppKey("rate_limits", TokenBuckets)
METRICS = web.AppKey("metrics", ApiMetrics)
LINKING = web.AppKey("linking", AccountLinking)
# The public id of the key that made the request (for the call log).
KEY_ID = web.RequestKey("key_id", str)
