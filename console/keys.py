"""Typed application keys shared by the console's handlers."""

from __future__ import annotations

from aiohttp import web

from concierge.settings import Settings
from console.chat.hub import ChatHub
from console.chat.rasa_client import RasaClient
from console.handoff.desk import HandoffDesk
from console.signed_cookie import CookieSigner
from console.staff.accounts import StaffDirectory
from console.staff.conversation_detail import ConversationReader
from console.staff.conversation_list import ConversationList
from console.staff.reviews import ReviewDesk
from console.staff.sessions import StaffSessions
from console.staff.sign_in_throttle import SignInThrottle
from console.staff.tracker_reader import TrackerReader
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
