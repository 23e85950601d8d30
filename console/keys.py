"""Every typed application key of the console, defined once.

``create_app`` (console/app.py) fills each of them; handlers read them with
``request.app[key]``. A new service object gets its key here, next to the others.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.chat.hub import ChatHub
from console.chat.identity import IdentityVerifier
from console.chat.rasa_client import RasaClient
from console.chat.start_guard import StartLimiter
from console.handoff.delivery import CustomerChannels
from console.handoff.desk import HandoffDesk
from console.live.feed import LiveFeed
from console.live.store_summary import StoreLiveSummary
from console.metrics import ConsoleMetrics
from console.signed_cookie import CookieSigner
from console.staff.accounts import StaffDirectory
from console.staff.conversation_detail import ConversationReader
from console.staff.conversation_export import ConversationExporter
from console.staff.conversation_list import ConversationList
from console.staff.erasure_desk import ErasureDesk
from console.staff.nlu_inbox import NluInbox
from console.staff.password_checks import PasswordCheckPool
from console.staff.pseudonyms import Pseudonyms
from console.staff.reviews import ReviewDesk
from console.staff.sessions import StaffSessions
from console.staff.sign_in_throttle import SignInThrottle
from console.staff.tracker_reader import TrackerReader
from store.api_keys import ApiKeys
from store.repository import ShopRepository

settings_key = web.AppKey("settings", Settings)
repository_key = web.AppKey("repository", ShopRepository)
rasa_client_key = web.AppKey("rasa_client", RasaClient)
chat_hub_key = web.AppKey("chat_hub", ChatHub)
cookie_signer_key = web.AppKey("cookie_signer", CookieSigner)
# The customer chat's start: the shop-signed identity check, the rate limit, the origins
# (besides the console's own) whose pages may embed the widget.
identity_verifier_key = web.AppKey("identity_verifier", IdentityVerifier)
chat_start_limiter_key = web.AppKey("chat_start_limiter", StartLimiter)
trusted_origins_key: web.AppKey[frozenset[str]] = web.AppKey("trusted_origins", frozenset)
staff_directory_key = web.AppKey("staff_directory", StaffDirectory)
staff_sessions_key = web.AppKey("staff_sessions", StaffSessions)
throttle_key = web.AppKey("sign_in_throttle", SignInThrottle)
password_checks_key = web.AppKey("password_checks", PasswordCheckPool)
pseudonyms_key = web.AppKey("pseudonyms", Pseudonyms)
handoff_desk_key = web.AppKey("handoff_desk", HandoffDesk)
# Where an agent's words go: the customer's web chat or their Telegram chat.
customer_channels_key = web.AppKey("customer_channels", CustomerChannels)
conversation_list_key = web.AppKey("conversation_list", ConversationList)
conversation_reader_key = web.AppKey("conversation_reader", ConversationReader)
conversation_exporter_key = web.AppKey("conversation_exporter", ConversationExporter)
review_desk_key = web.AppKey("review_desk", ReviewDesk)
tracker_reader_key = web.AppKey("tracker_reader", TrackerReader)
nlu_inbox_key = web.AppKey("nlu_inbox", NluInbox)
erasure_desk_key = web.AppKey("erasure_desk", ErasureDesk)
# The API's keys, managed on the admin page as with `python -m api keys`.
api_keys_key = web.AppKey("api_keys", ApiKeys)
console_metrics_key = web.AppKey("console_metrics", ConsoleMetrics)
# The marketer pages open their own PromotionRepository per request on this factory.
promotion_sessions_key: web.AppKey[sessionmaker[Session]] = web.AppKey(
    "promotion_sessions", sessionmaker
)
# The staff pages' live feed (console/live): the broker consumer's record, when a broker is
# configured, and the database query that answers without one.
live_feed_key = web.AppKey("live_feed", LiveFeed)
store_live_summary_key = web.AppKey("store_live_summary", StoreLiveSummary)
