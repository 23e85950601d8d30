"""The REST channel the web chat (and any shop front end) talks to.

It speaks exactly the protocol of Rasa's built-in ``rest`` channel, plus four
promises the built-in one does not keep:

* only the console may send a turn: a request without the shared secret
  (``credentials.yml`` -> ``secret``, from ``CONCIERGE_CHANNEL_SECRET``) in the
  ``X-Concierge-Channel-Secret`` header gets a 403 before anything reaches the tracker,
  and Rasa does not start when no secret is configured;
* a request without JSON or without a sender gets a 400 that says what is missing;
* an empty or blank message gets a friendly prompt instead of a trip through NLU;
* a turn that produced no reply at all — which in Rasa 3.6 is what happens when the
  action server is down or an action raised, since the processor logs the error and
  drops that action's events — still gets an apology, so the customer is never left
  staring at a silent chat. The user's message itself is already in the tracker.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.action_payload import send_actions_what_they_read, send_json_encoded_by_ujson
from bot.deferred_policies import ask_ted_only_when_it_could_win
from bot.rule_lookup import look_up_rules_without_the_whole_walk
from bot.turn_speedups import (
    check_action_replies_with_one_validator,
    copy_trackers_without_replay,
    freeze_loaded_objects,
    share_past_states_between_policies,
)

logger = logging.getLogger(__name__)
structlogger = structlog.get_logger()

EMPTY_MESSAGE_REPLY = (
    "It looks like your message was empty. What can I help you with? "
    "You can ask about an order, a return, shipping or our policies."
)
# The header the console sends settings.channel_secret in (console/chat/rasa_client.py
# writes the same name: the two environments share no code).
CHANNEL_SECRET_HEADER = "X-Concierge-Channel-Secret"
SECRET_VARIABLE = "CONCIERGE_CHANNEL_SECRET"


class MissingChannelSecret(RasaException):
    """The channel was configured without a secret; Rasa prints this and exits."""


NO_REPLY_APOLOGY = (
    "Sorry, something went wrong on my side and I couldn't finish that. "
    "Please try again in a moment, or type 'human' to reach our team."
)


class ConciergeRestInput(RestInput):
    """Rasa's REST protocol at ``/webhooks/concierge/webhook`` with graceful replies."""

    @classmethod
    def name(cls) -> str:
        return "concierge"

    def __init__(
        self,
        secret: str,
        empty_message_reply: str = EMPTY_MESSAGE_REPLY,
        no_reply_apology: str = NO_REPLY_APOLOGY,
    ) -> None:
        if not secret or not secret.strip():
            # An open channel would let anyone on the network talk as any sender id.
            raise MissingChannelSecret(
                f"The concierge channel needs a secret: set {SECRET_VARIABLE} (the same "
                "value the console has) before starting Rasa; credentials.yml reads it as "
                f"`secret: ${{{SECRET_VARIABLE}}}`."
            )
        self._secret = secret.encode()
        self.empty_message_reply = empty_message_reply
        self.no_reply_apology = no_reply_apology

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ConciergeRestInput:
        credentials = credentials or {}
        return cls(
            secret=str(credentials.get("secret") or ""),
            empty_message_reply=credentials.get("empty_message_reply", EMPTY_MESSAGE_REPLY),
            no_reply_apology=credentials.get("no_reply_apology", NO_REPLY_APOLOGY),
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("concierge_webhook", __name__)
        # Costs of every turn that do nothing for the answer (bot/turn_speedups.py).
        check_action_replies_with_one_validator()
        share_past_states_between_policies()
        copy_trackers_without_replay()
        send_actions_what_they_read()
        send_json_encoded_by_ujson()
        # Before the model loads: the graph binds the policies' methods then.
        ask_ted_only_when_it_could_win()  # bot/deferred_policies.py
        look_up_rules_without_the_whole_walk()  # bot/rule_lookup.py

        @webhook.listener("after_server_start")
        async def freeze_model(app: Any, loop: Any) -> None:
            # After Rasa's before_server_start listener has loaded the model.
            freeze_loaded_objects()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._from_console(request):
                # Refused before the body is read: nothing reaches the tracker.
                logger.warning("Refused a turn without the channel secret from %s.", request.ip)
                return response.json({"error": "forbidden"}, status=403)
            problem = _request_problem(request)
            if problem:
                return response.json({"error": problem}, status=400)
            body = request.json
            sender_id = str(body["sender"])
            text = body.get("message")
            text = "" if text is None else str(text)
            if not text.strip():
                return response.json(
                    [{"recipient_id": sender_id, "text": self.empty_message_reply}]
                )

            store = _tracker_store(request)
            if not await _store_reachable(store):
                # Refused before Rasa reads the tracker: run on no tracker, the turn would
                # start a fresh conversation and be kept only in this process's memory.
                logger.warning("Refused a turn of %s: the tracker store is down.", sender_id)
                return response.json({"error": "the conversation store is unavailable"}, status=503)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender_id,
                        input_channel=self._extract_input_channel(request),
                        metadata=self.get_metadata(request),
                    )
                )
            except Exception as exc:  # the processor already logged the cause
                # The sender id and the error's type, never the message, nor a traceback
                # whose exception text may repeat it: customers type names and addresses.
                structlogger.error(
                    "concierge.message.failure", sender_id=sender_id, error=type(exc).__name__
                )
                # What was said before the failure is not in the tracker store (Rasa saves a
                # turn last, e.g. PostgreSQL went down mid-turn): answering with it would
                # make a turn the customer saw answered vanish from the conversation.
                return response.json(self._replies_or_apology([], sender_id))
            if _kept_only_in_memory(store, sender_id):
                # The database went away mid-turn for longer than the store waits: Rasa kept
                # the turn in memory. Not showing its reply keeps what the customer saw and
                # what the conversation holds the same.
                return response.json(self._replies_or_apology([], sender_id))
            return response.json(self._replies_or_apology(collector.messages, sender_id))

        return webhook

    def _from_console(self, request: Request) -> bool:
        sent = request.headers.get(CHANNEL_SECRET_HEADER, "").encode()
        return hmac.compare_digest(sent, self._secret)

    def _replies_or_apology(
        self, messages: list[dict[str, Any]], sender_id: str
    ) -> list[dict[str, Any]]:
        if messages:
            return messages
        logger.warning("Turn of %s produced no reply; sending the apology.", sender_id)
        return [{"recipient_id": sender_id, "text": self.no_reply_apology}]


def _tracker_store(request: Request) -> Any:
    """The agent's tracker store (Rasa's FailSafeTrackerStore around ours), if there is one."""
    context = getattr(getattr(request, "app", None), "ctx", None)
    return getattr(getattr(context, "agent", None), "tracker_store", None)


async def _store_reachable(store: Any) -> bool:
    """Whether the tracker store can take a turn (waits through a short database restart)."""
    inner = getattr(store, "_tracker_store", store)
    reachable = getattr(inner, "reachable", None)
    return True if reachable is None else bool(await reachable())


def _kept_only_in_memory(store: Any, sender_id: str) -> bool:
    """True (and forgets it) when Rasa saved this turn to its in-memory fallback store."""
    fallback = getattr(store, "_fallback_tracker_store", None)
    kept = getattr(fallback, "store", None)
    if not isinstance(kept, dict) or sender_id not in kept:
        return False
    logger.error(
        "The turn of %s was not stored (tracker store down); answered with the apology.", sender_id
    )
    del kept[sender_id]
    return True


def _request_problem(request: Request) -> str | None:
    """Names what is wrong with a webhook request, or returns None when it is usable."""
    try:
        body = request.json
    except Exception:
        return 'The request body must be JSON: {"sender": ..., "message": ...}.'
    if not isinstance(body, dict):
        return "The request body must be a JSON object with 'sender' and 'message'."
    if not body.get("sender"):
        return "The request needs a 'sender' (the conversation id)."
    message = body.get("message")
    if message is not None and not isinstance(message, (str, int, float)):
        return "'message' must be text."
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "'metadata' must be a JSON object."
    return None
