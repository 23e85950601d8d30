"""Which of Rasa's tracker events the live feed shows, read from the broker's JSON bodies.

Rasa's ``PikaEventBroker`` publishes each new tracker event as ``{"sender_id": ...,
**event.as_dict()}``. Two of them matter to the staff pages:

- ``session_started``: a conversation session began. ``action_session_start`` (actions/
  session.py) records the same session as a ``chat_sessions`` row, which is what the
  feed reads without a broker.
- ``action`` named ``action_handoff``: the bot queued the customer for a person
  (bot/domain/handoff.yml, actions/handoff.py), which writes a ``handoffs`` row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# The bot's handoff action, as bot/domain/handoff.yml names it.
HANDOFF_ACTION = "action_handoff"


class LiveKind(StrEnum):
    """What happened, as the live feed counts it."""

    CONVERSATION_STARTED = "conversation_started"
    HANDOFF_REQUESTED = "handoff_requested"


@dataclass(frozen=True)
class LiveEvent:
    """One event the staff pages show: its kind, conversation and time (epoch seconds)."""

    kind: LiveKind
    sender_id: str
    at: float


def classify(body: dict[str, Any]) -> LiveEvent | None:
    """The live event a tracker event stands for, or None for the many that are not one."""
    sender_id = body.get("sender_id")
    at = body.get("timestamp")
    if not isinstance(sender_id, str) or not isinstance(at, int | float):
        return None
    event_type = body.get("event")
    if event_type == "session_started":
        return LiveEvent(LiveKind.CONVERSATION_STARTED, sender_id, float(at))
    if event_type == "action" and body.get("name") == HANDOFF_ACTION:
        return LiveEvent(LiveKind.HANDOFF_REQUESTED, sender_id, float(at))
    return None


def parse_body(raw: bytes) -> dict[str, Any] | None:
    """A broker message's JSON object; None for anything else (never raises on bad input)."""
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
