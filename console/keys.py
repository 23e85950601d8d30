"""Typed application keys shared by the console's handlers."""

from __future__ import annotations

from aiohttp import web

from concierge.settings import Settings
from console.chat_hub import ChatHub
from console.rasa_client import RasaClient
from console.signed_cookie import CookieSigner
from store.repository import ShopRepository

settings_key = web.AppKey("settings", Settings)
repository_key = web.AppKey("repository", ShopRepository)
rasa_client_key = web.AppKey("rasa_client", RasaClient)
chat_hub_key = web.AppKey("chat_hub", ChatHub)
cookie_signer_key = web.AppKey("cookie_signer", CookieSigner)
