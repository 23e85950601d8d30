"""Typed application keys shared by the console's handlers."""

from __future__ import annotations

from aiohttp import web

from concierge.settings import Settings
from console.accounts import StaffDirectory
from console.chat_hub import ChatHub
from console.conversation_detail import ConversationReader
from console.conversation_list import ConversationList
from console.handoff_desk import HandoffDesk
from console.rasa_client import RasaClient
from console.reviews import ReviewDesk
from console.sign_in_throttle import SignInThrottle
from console.signed_cookie import CookieSigner
from console.staff_sessions import StaffSessions
from console.tracker_reader import TrackerReader
from store.repository import ShopRepository

settings_key = web.AppKey("settings", Settings)
repository_key = web.AppKey("repository", ShopRepository)
rasa_client_key = web.AppKey("rasa_client", RasaClient)
chat_hub_key = web.AppKey("chat_hub", ChatHub)
cookie_signer_key = web.AppKey("cookie_signer", CookieSigner)
staff_directory_key = web.AppKey("staff_directory", StaffDirectory)
staff_sessions_key = web.AppKey("staff_sessions", StaffSessions)
throttle_key = web.AppKey("sign_in_throttle", SignInThrottle)
handoff_desk_key = web.AppKey("handoff_desk", HandoffDesk)
conversation_list_key = web.AppKey("conversation_list", ConversationList)
conversation_reader_key = web.AppKey("conversation_reader", ConversationReader)
review_desk_key = web.AppKey("review_desk", ReviewDesk)
tracker_reader_key = web.AppKey("tracker_reader", TrackerReader)
