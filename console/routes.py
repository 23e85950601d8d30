"""Every URL of the console, registered in one place.

To add a page: write a small handler in the module of its feature (``console/chat``,
``console/staff``, ``console/marketing``, ``console/handoff``), then add one line here.
Names given with ``name=`` are what templates pass to ``url()``.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from console import ops_pages, outreach_tracking, unsubscribe
from console.chat import pages as chat
from console.chat import widget
from console.chat.socket import chat_socket
from console.handoff import pages as handoff
from console.handoff import relay as handoff_relay
from console.live import pages as live
from console.marketing import insights as campaign_insights
from console.marketing import outreach_pages
from console.marketing import pages as campaigns
from console.marketing.common import KEY_PATTERN
from console.staff import (
    api_key_pages,
    auth,
    conversation_pages,
    erasure_pages,
    export_pages,
    nlu_inbox_pages,
)
from console.staff import pages as staff

STATIC_DIR = Path(__file__).resolve().parent / "static"


def add_routes(app: web.Application) -> None:
    """Register every route and the static files on ``app``."""
    router = app.router
    router.add_static("/static/", STATIC_DIR, name="static")

    # Customers: the demo's front page, the chat page and its WebSocket.
    router.add_get("/", chat.front_page, name="front")
    router.add_post("/chat/start", chat.start_chat, name="chat_start")
    router.add_get("/chat", chat.chat_page, name="chat")
    router.add_get("/ws/chat", chat_socket, name="chat_socket")
    # The widget a shop embeds: its script, the framed chat, the chat start it calls.
    router.add_get("/widget.js", widget.widget_script, name="widget_script")
    router.add_get("/widget", widget.widget_page, name="widget")
    router.add_post("/widget/session", widget.widget_session, name="widget_session")
    # Outreach e-mail's one-click unsubscribe (RFC 8058): the signed token is the proof.
    one_token = "/unsubscribe/{token:[0-9a-z._-]{1,200}}"
    router.add_get(one_token, unsubscribe.unsubscribe_page, name="unsubscribe")
    router.add_post(one_token, unsubscribe.unsubscribe)
    # Outreach e-mail's open pixel and tracked links (signed tokens; only the shop's own URL).
    tracked = "{token:[0-9]{1,12}\\.(?:open|click)\\.[0-9a-f]{64}}"
    router.add_get("/outreach/open/" + tracked, outreach_tracking.open_pixel, name="outreach_open")
    router.add_get("/outreach/click/" + tracked, outreach_tracking.click, name="outreach_click")

    # Staff: sign-in, home, admin.
    router.add_get("/staff/sign-in", auth.sign_in_page, name="staff_sign_in")
    router.add_post("/staff/sign-in", auth.sign_in)
    router.add_post("/staff/sign-out", auth.sign_out, name="staff_sign_out")
    router.add_get("/staff", staff.staff_home, name="staff_home")
    router.add_get("/admin/accounts", staff.accounts_page, name="admin_accounts")
    router.add_post("/admin/accounts", staff.create_account)
    router.add_post("/admin/accounts/{account_id:\\d+}/active", staff.set_account_active)
    router.add_get("/admin/audit", staff.audit_page, name="admin_audit")
    router.add_get("/admin/customers/forget", erasure_pages.forget_page, name="admin_forget")
    router.add_post("/admin/customers/forget", erasure_pages.forget_customer)
    one_key = f"/admin/api-keys/{{key_id:{api_key_pages.KEY_ID_PATTERN}}}"
    router.add_get("/admin/api-keys", api_key_pages.api_keys_page, name="admin_api_keys")
    router.add_post("/admin/api-keys", api_key_pages.create_api_key)
    router.add_get(one_key + "/revoke", api_key_pages.revoke_page, name="admin_api_key_revoke")
    router.add_post(one_key + "/revoke", api_key_pages.revoke_api_key)

    # Staff: conversation review.
    one_conversation = "/staff/conversations/{session_id:\\d+}"
    router.add_get(
        "/staff/conversations", conversation_pages.conversations_page, name="conversations"
    )
    router.add_get(one_conversation, conversation_pages.transcript_page, name="transcript")
    router.add_post(one_conversation + "/review", conversation_pages.update_review)
    router.add_post(one_conversation + "/notes", conversation_pages.add_note)

    # Handoff to a person.
    one_handoff = "/staff/handoffs/{handoff_id:\\d+}"
    router.add_get("/staff/handoffs", handoff.queue_page, name="handoffs")
    router.add_get(one_handoff, handoff.live_page, name="handoff")
    router.add_post(one_handoff + "/take", handoff.take)
    router.add_post(one_handoff + "/hand-back", handoff.hand_back)
    router.add_get(one_handoff + "/messages", handoff.messages)
    router.add_post(one_handoff + "/messages", handoff.reply)
    # Rasa's Telegram channel asks whether an agent holds a conversation (channel secret).
    router.add_post(handoff_relay.PATH, handoff_relay.customer_message)
    # The live feed the handoff queue and the conversations list poll (console/live).
    router.add_get("/staff/live/summary", live.live_summary, name="live_summary")

    # Marketers: campaigns.
    one_campaign = f"/marketing/campaigns/{{key:{KEY_PATTERN}}}"
    router.add_get("/marketing/campaigns", campaigns.campaign_list, name="campaigns")
    router.add_post("/marketing/campaigns", campaigns.create_campaign)
    router.add_get("/marketing/campaigns/new", campaigns.new_campaign, name="campaign_new")
    router.add_post("/marketing/settings", campaigns.save_settings)
    router.add_get(one_campaign, campaigns.edit_campaign, name="campaign")
    router.add_post(one_campaign, campaigns.update_campaign)
    router.add_get(
        one_campaign + "/preview", campaign_insights.preview_page, name="campaign_preview"
    )
    router.add_get(
        one_campaign + "/results", campaign_insights.results_page, name="campaign_results"
    )
    router.add_get(
        one_campaign + "/outreach", outreach_pages.outreach_results_page, name="campaign_outreach"
    )

    # Operations, the NLU inbox and the conversation export.
    router.add_get("/metrics", ops_pages.metrics_page, name="metrics")
    inbox = "/staff/nlu-inbox"
    router.add_get(inbox, nlu_inbox_pages.inbox_page, name="nlu_inbox")
    router.add_post(inbox + "/{event_id:\\d+}/correct", nlu_inbox_pages.correct_message)
    router.add_get(inbox + "/corrections.yml", nlu_inbox_pages.download_nlu, name="nlu_corrections")
    router.add_get(
        inbox + "/test-stories.yml", nlu_inbox_pages.download_stories, name="nlu_stories"
    )
    router.add_get(
        "/staff/conversations/export.{fmt:csv|jsonl}",
        export_pages.export_conversations,
        name="export",
    )
    router.add_get("/healthz", ops_pages.healthz, name="healthz")
