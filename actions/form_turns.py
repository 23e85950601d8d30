"""What a customer's message is to an order form that waits for an answer.

It may be the answer; a request of its own (``NOT_AN_ANSWER``); a correction of a value
given before ("sorry, I meant 18992", "typo, it's a.b@c.de"), which the form takes
whatever intent the NLU gave; a policy question asked in passing ("do you take PayPal?"),
which is answered and the form's question asked again; or "leave it", which ends the form
as the ``stop`` intent does. Everything here reads the tracker; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.forms import REQUESTED_SLOT

from actions.base import EventList, customer_id_of
from actions.faq import RETRIEVAL_INTENT, selected_topic
from actions.frustration import is_frustrated
from actions.parsing import carries_order_value as carries_order_value  # used by forms_base
from actions.parsing import could_digress, parse_email, parse_order_number

# A message with one of these intents is a request of its own, not the answer to the
# form's question, even when the form's from_text mapping took its words.
NOT_AN_ANSWER = frozenset(
    {"order_status", "request_return", "cancel_order", "return_status", "list_orders",
     "express_frustration"}
)  # fmt: skip
ORDER_SLOTS = ("order_number", "order_email")
# The slots a form fills from whatever the customer typed while it asked for them, so a
# question or a "leave it" typed instead would end up in them.
FREE_TEXT_SLOTS = (*ORDER_SLOTS, "return_item", "return_reason")
# How sure the `faq` ResponseSelector must be before a question typed while a form waits
# is answered as that FAQ. The selector ranks its six topics for every message, so a
# question about something else still gets a topic, often confidently. On the bot's own
# NLU data with the served model (`python -m benchmarks.faq_digressions`, BENCHMARKS.md
# "FAQ questions inside a form"), every FAQ question scores at least 0.991 (1st
# percentile 0.996); at 0.99 all of them pass and 9.8% of the other intents' questions
# do (21.7% at 0.9), most of them about refunds and returns.
FAQ_CONFIDENCE = 0.99


def _since_activation(tracker: Tracker, form_name: str) -> list[dict[str, Any]]:
    """The events after ``form_name`` was last activated ([] when it is not active)."""
    if tracker.active_loop_name != form_name:
        return []
    events = tracker.events or []
    start = max(
        (
            i
            for i, e in enumerate(events)
            if e.get("event") == "active_loop" and e.get("name") == form_name
        ),
        default=len(events),
    )
    return events[start + 1 :]


def refusals_so_far(tracker: Tracker, form_name: str, slot: str) -> int:
    """How often ``slot`` was refused (set to None) since ``form_name`` was activated."""
    return sum(
        1
        for e in _since_activation(tracker, form_name)
        if e.get("event") == "slot" and e.get("name") == slot and e.get("value") is None
    )


def earlier_value(
    tracker: Tracker, form_name: str, slot: str, parse: Callable[[Any], str | None]
) -> str | None:
    """The newest well-formed value ``slot`` had since ``form_name`` was activated."""
    for event in reversed(_since_activation(tracker, form_name)):
        if event.get("event") == "slot" and event.get("name") == slot:
            value = parse(event.get("value"))
            if value is not None:
                return value
    return None


def stop_wins(events: EventList) -> EventList:
    """Keep a validator's decision to stop the form over rasa_sdk's "ask the next slot".

    rasa_sdk appends ``requested_slot = <next missing slot>`` after the validators ran;
    Rasa stops the form only if the *last* ``requested_slot`` event is None.
    """
    if not form_stopped(events):
        return events
    kept = [e for e in events if not (e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT)]
    return [*kept, SlotSet(REQUESTED_SLOT, None)]


def form_stopped(events: EventList) -> bool:
    """Whether a validator's ``events`` end the form (``requested_slot`` set to None)."""
    return any(
        e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT and e.get("value") is None
        for e in events
    )


def latest_text(tracker: Tracker) -> str:
    """The text of the customer's latest message ("" without one)."""
    return str((tracker.latest_message or {}).get("text") or "")


def asked_slot(tracker: Tracker, form_name: str) -> str | None:
    """The slot ``form_name`` asked for with its last question (None when not active)."""
    if tracker.active_loop_name != form_name:
        return None
    slot = tracker.get_slot(REQUESTED_SLOT)
    return str(slot) if slot else None


def is_direct_answer(tracker: Tracker, slot: str) -> bool:
    """Whether the latest message answered the form's question for ``slot``.

    Only then is a value that doesn't fit worth saying back; a request of its own ("where
    is my order"), an upset message (it gets an apology, not a correction) or words taken
    before the question was asked are not answers.
    """
    if tracker.get_slot(REQUESTED_SLOT) != slot or is_frustrated(latest_text(tracker)):
        return False
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
    # A multi-intent ("order_status+faq") is a request when any of its parts is.
    return not NOT_AN_ANSWER.intersection(intent.split("+"))


def ruled_elsewhere(tracker: Tracker, domain: dict[str, Any], form_name: str) -> bool:
    """Whether the latest intent is one the form ignores, so a rule answers it instead.

    Rasa tries the form first; the form's refusal to take anything from such a message
    is what lets the rule for "stop", an FAQ or small talk run.
    """
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    form = (domain.get("forms") or {}).get(form_name) or {}
    return intent in (form.get("ignored_intents") or [])


def faq_confidence(latest_message: dict[str, Any]) -> float:
    """How sure the FAQ ResponseSelector was of the topic it chose (0 without one)."""
    selectors = latest_message.get("response_selector") or {}
    for name in (RETRIEVAL_INTENT, "default"):
        response = (selectors.get(name) or {}).get("response") or {}
        if str(response.get("intent_response_key") or "").startswith(f"{RETRIEVAL_INTENT}/"):
            return float(response.get("confidence") or 0.0)
    return 0.0


def faq_digression(tracker: Tracker) -> str | None:
    """The FAQ topic of a policy question typed instead of the form's answer, else None.

    Only a question counts (an answer such as "it doesn't work" is not one), it must not
    carry a value the form can use or a return reason, and the selector must be sure.
    """
    message = tracker.latest_message or {}
    if not could_digress(latest_text(tracker)) or faq_confidence(message) < FAQ_CONFIDENCE:
        return None
    return selected_topic(message)


def order_number_said(tracker: Tracker, form_name: str) -> dict[str, str]:
    """While the form asks for the order, the number in the message, whatever the intent.

    "Sorry, I meant 18992" is a correction even when the NLU read it as a denial, and the
    newest number wins. A guest who corrects only the e-mail after the pair was refused
    ("typo, it's a.b@c.de") meant the number given before: it is tried again.
    """
    if asked_slot(tracker, form_name) not in ORDER_SLOTS:
        return {}
    said = latest_text(tracker)
    number = parse_order_number(said)
    if number is not None:
        return {"order_number": number}
    if (
        customer_id_of(tracker) is None
        and parse_email(said) is not None
        and parse_order_number(tracker.get_slot("order_number")) is None
    ):
        earlier = earlier_value(tracker, form_name, "order_number", parse_order_number)
        return {} if earlier is None else {"order_number": earlier}
    return {}
