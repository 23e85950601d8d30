"""Wiring of the NLU inbox, the conversation export and ``/metrics`` into the console app."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from console.keys import conversation_list_key, conversation_reader_key, rasa_client_key
from console.metrics import ConsoleMetrics, StoreTotals, install_metrics, page_latency
from console.staff.bot_intents import fallback_threshold
from console.staff.conversation_export import ConversationExporter
from console.staff.export_pages import add_export_routes, conversation_exporter_key
from console.staff.nlu_inbox import NluInbox, nlu_inbox_key
from console.staff.nlu_inbox_pages import add_nlu_inbox_routes

__all__ = ["add_support_tools", "page_latency"]


def add_support_tools(
    app: web.Application, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    """Register the inbox, the export and the metrics (after the list and reader exist)."""
    inbox = NluInbox(session_factory, settings.tracker_db_url, fallback_threshold())
    app[nlu_inbox_key] = inbox
    app[conversation_exporter_key] = ConversationExporter(
        app[conversation_list_key], app[conversation_reader_key]
    )

    async def close_inbox(app: web.Application) -> AsyncIterator[None]:
        yield
        inbox.close()

    app.cleanup_ctx.append(close_inbox)
    metrics = ConsoleMetrics(StoreTotals(session_factory, settings.tracker_db_url))
    install_metrics(app, metrics, rasa_client_key)
    add_nlu_inbox_routes(app)
    add_export_routes(app)
