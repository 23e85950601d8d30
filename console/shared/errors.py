"""The error a Redis outage becomes, importable without the redis package (an optional extra)."""

from __future__ import annotations


class SharedStateUnavailable(RuntimeError):
    """Redis did not answer; the message says what the visitor or agent should do.

    Staff pages answer it with 503 and that message (``console.shared.middleware``); the
    handoff page catches :class:`PushUnavailable` itself to keep the agent on the page.
    """


class PushUnavailable(SharedStateUnavailable):
    """An agent's message could not reach the customer's chat on another console instance."""


PUSH_UNAVAILABLE_TEXT = (
    "Your message is kept in this conversation but could not be sent to the customer's chat: "
    "the console cannot reach its shared state right now. Try again shortly."
)
