"""Offers in the chat: ``action_offer_promotion`` and the answers to an offer.

The decision and the coupons belong to ``promotions.service.PromotionService``; this module
works out the conversation moment (which trigger, which matters forbid selling), shows
the offer and keeps the session history's record of it (``offer_shown``,
``offer_withheld`` for control and hold-out, ``offer_accepted``, ``coupon_issued``,
``offer_refused`` (a "yes" the shop could not honour), ``offer_declined``,
``offers_opted_out``). ``action_session_start`` and
``action_order_status`` call ``offer_at`` themselves at their trigger points.
``action_answer_yes_no`` reads a plain "yes" / "no" typed outside a form: the answer to an
offer when the bot's reply to the previous message included one, otherwise an
acknowledgement.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages
from actions.base import EventList, ShopAction, current_session_events, customer_id_of
from actions.handoff import ActionHandoff
from actions.messages import tone
from actions.services import STORE_UNAVAILABLE, Services
from actions.waiting_offers import waiting_offer_just_shown
from promotions.decision import NOTHING, OfferContext
from promotions.replies import OfferPayload, ReplyStatus
from promotions.service import OfferDecision, OfferReply
from promotions.triggers import Matter, Trigger, blocking_matters
from store.views import Outcome

logger = logging.getLogger(__name__)

# Which trigger the action that ran just before action_offer_promotion stands for.
# action_order_status is not one: it makes its after_order_resolved offer itself (see
# actions.orders), and no rule or story runs action_offer_promotion after it.
TRIGGER_AFTER: dict[str, Trigger] = {
    "action_recommend": Trigger.WITH_RECOMMENDATION,
    "action_search_products": Trigger.WITH_RECOMMENDATION,
}
# Conversation steps that mean a matter during which nobody is sold anything.
RETURN_INTENTS = ("request_return", "return_status")
RETURN_FORM = "return_form"
HANDOFF_ACTION = "action_handoff"
# A typed acceptance the NLU is less sure of than this is asked back, not taken: a coupon
# issued on a misread "no" cannot be taken back, and it counts as accepted in the campaign's
# results. Probed on the served model with 30 new phrasings: "I'll pass on the coupon" came out
# as accept_offer at 0.87 and "I'll leave the discount" at 0.71; of the acceptances read as
# accept_offer, 10 of 11 scored 0.91 or more.
CONFIRM_ACCEPT_BELOW = 0.9


def active_matters(
    tracker: Tracker, open_matter: dict[str, Any] | None = None
) -> frozenset[Matter]:
    """The blocking matters of the conversation: a return, a handoff (see promotions.triggers)."""
    matters: set[Matter] = set()
    events = current_session_events(tracker)
    intents = {
        ((e.get("parse_data") or {}).get("intent") or {}).get("name")
        for e in events
        if e.get("event") == "user"
    }
    if intents & set(RETURN_INTENTS) or (tracker.active_loop or {}).get("name") == RETURN_FORM:
        matters.add(Matter.RETURN)
    if any(e.get("event") == "action" and e.get("name") == HANDOFF_ACTION for e in events):
        matters.add(Matter.HANDOFF)
    if open_matter:
        matters |= blocking_matters([open_matter.get("kind")])
    return frozenset(matters)


def offer_at(
    services: Services,
    sender_id: str,
    customer_id: int | None,
    context: OfferContext,
) -> OfferDecision | None:
    """Decide and record an offer at a trigger point; None when nothing is to be shown.

    An offer is a bonus: a failure inside the promotions engine is logged and the
    conversation goes on without it (an unreachable database still propagates).
    """
    if customer_id is None:
        return None
    try:
        offer = services.promotions.offer_for(customer_id, context, sender_id=sender_id)
    except STORE_UNAVAILABLE:
        raise
    except Exception:
        logger.exception("offer at %s for customer %s failed", context.trigger, customer_id)
        return None
    decision = offer.decision
    if decision.outcome == NOTHING:
        logger.debug("no offer at %s: %s", context.trigger, decision.reason)
        return None
    detail = {
        "trigger": context.trigger,
        "variant": decision.variant_key,
        "arm": decision.outcome,
        "exposure_id": offer.exposure_id,
    }
    kind = Outcome.OFFER_SHOWN if offer.shows_offer else Outcome.OFFER_WITHHELD
    services.repository.record_outcome(sender_id, kind, ref=decision.campaign_key, detail=detail)
    return offer if offer.shows_offer else None


def last_shown_product(services: Services, sender_id: str) -> tuple[str | None, float | None]:
    """Title and price of the first product recommended in this session, latest first."""
    session = services.repository.current_session(sender_id)
    for outcome in reversed(session.outcomes if session else ()):
        if outcome.kind == Outcome.RECOMMENDATIONS_SHOWN and outcome.detail.get("first_title"):
            return outcome.detail["first_title"], outcome.detail.get("first_price")
    return None, None


def previous_action(tracker: Tracker) -> str | None:
    """The action that ran before this one in the current session."""
    # From the end, stopping at the first answer: the call carries the whole conversation.
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind == "session_started":
            return None
        if kind == "action" and event.get("name") != "action_offer_promotion":
            return event.get("name")
    return None


def follows_a_trigger_in_this_turn(tracker: Tracker) -> bool:
    """True when a trigger action (``TRIGGER_AFTER``) ran since the customer's last message."""
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind in ("user", "session_started"):
            return False
        if kind == "action" and event.get("name") in TRIGGER_AFTER:
            return True
    return False


class ActionOfferPromotion(ShopAction):
    """Shows an offer at a trigger point of the dialogue, or nothing (control, no campaign)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_offer_promotion"

    def records_activity_now(self, tracker: Tracker) -> bool:
        """Not again after this turn's recommendation: that action stored the same totals."""
        return not follows_a_trigger_in_this_turn(tracker)

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Decide for the trigger the previous action stands for; say the offer if there is one."""
        trigger = TRIGGER_AFTER.get(previous_action(tracker) or "")
        customer_id = customer_id_of(tracker)
        if trigger is None or customer_id is None:
            return []
        title, price = (None, None)
        if trigger == Trigger.WITH_RECOMMENDATION:
            title, price = last_shown_product(services, tracker.sender_id)
        context = OfferContext(
            trigger=trigger,
            active_matters=active_matters(tracker),
            product=title,
            product_price=price,
        )
        offer = offer_at(services, tracker.sender_id, customer_id, context)
        if offer is not None:
            dispatcher.utter_message(text=offer.text, buttons=list(offer.buttons))
        return []


def _record_reply(services: Services, sender_id: str, reply: OfferReply, kind: str) -> None:
    detail: dict[str, Any] = {"status": reply.status}
    ref = reply.campaign_key if kind == Outcome.OFFER_REFUSED else None
    if reply.coupon is not None:
        ref = reply.coupon.campaign_key
        detail["variant"] = reply.coupon.variant_key
    services.repository.record_outcome(sender_id, kind, ref=ref, detail=detail)
    if reply.coupon is not None and reply.coupon.created:
        services.repository.record_outcome(
            sender_id,
            Outcome.COUPON_ISSUED,
            ref=reply.coupon.code,
            detail={"campaign": reply.coupon.campaign_key, "variant": reply.coupon.variant_key},
        )


def unsure_acceptance(tracker: Tracker) -> bool:
    """A typed (not clicked) accept_offer below ``CONFIRM_ACCEPT_BELOW`` confidence."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    typed = not str(message.get("text") or "").startswith("/")
    if intent.get("name") != OfferPayload.ACCEPT.intent or not typed:
        return False
    return float(intent.get("confidence") or 0.0) < CONFIRM_ACCEPT_BELOW


class OfferAnswer(ShopAction):
    """An answer to an offer (accept, decline, stop): only a signed-in customer has offers.

    Subclasses implement ``answer`` for the signed-in customer; a guest gets ``guest_text``.
    """

    guest_text = messages.GUEST_NO_OFFER

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Answer for the signed-in customer; tell a guest offers are for customers."""
        customer_id = customer_id_of(tracker)
        if customer_id is None:
            dispatcher.utter_message(text=self.guest_text)
            return []
        self.answer(dispatcher, tracker, services, customer_id)
        return []

    @abstractmethod
    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
        customer_id: int,
    ) -> None:
        """The answer's work for ``customer_id``."""


class ActionAcceptOffer(OfferAnswer):
    """Takes the customer's open offer: issues its coupon (once) and says the code."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_accept_offer"

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
        customer_id: int,
    ) -> None:
        """Accept the open offer and give the code, or say there is none."""
        if unsure_acceptance(tracker) and services.promotions.awaits_answer(customer_id):
            dispatcher.utter_message(
                text=messages.CONFIRM_ACCEPT,
                buttons=[
                    {"title": "Yes please", "payload": OfferPayload.ACCEPT},
                    {"title": "No thanks", "payload": OfferPayload.DECLINE},
                ],
            )
            return
        reply = services.promotions.accept(customer_id)
        dispatcher.utter_message(text=messages.offer_reply(reply.status, reply.text))
        if reply.status.took_offer:
            _record_reply(services, tracker.sender_id, reply, Outcome.OFFER_ACCEPTED)
        elif reply.status.refused_offer:
            _record_reply(services, tracker.sender_id, reply, Outcome.OFFER_REFUSED)


class ActionDeclineOffer(OfferAnswer):
    """Declines the open offer; its campaign's cooldown starts."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_decline_offer"

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
        customer_id: int,
    ) -> None:
        """Decline and acknowledge it."""
        reply = services.promotions.decline(customer_id)
        dispatcher.utter_message(text=messages.offer_reply(reply.status, reply.text))
        if reply.status == ReplyStatus.DECLINED:
            _record_reply(services, tracker.sender_id, reply, Outcome.OFFER_DECLINED)


class ActionStopOffers(OfferAnswer):
    """Opts the customer out of every offer, everywhere, from now on."""

    guest_text = messages.GUEST_NOTHING_TO_STOP

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_stop_offers"

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
        customer_id: int,
    ) -> None:
        """Record the opt-out and confirm it."""
        reply = services.promotions.opt_out(customer_id)
        dispatcher.utter_message(text=messages.offer_reply(reply.status, reply.text))
        _record_reply(services, tracker.sender_id, reply, Outcome.OFFERS_OPTED_OUT)


def is_offer(event: dict[str, Any]) -> bool:
    """A bot message that carries an offer's "Yes" quick reply."""
    if event.get("event") != "bot":
        return False
    buttons = (event.get("data") or {}).get("buttons") or []
    return any(str(b.get("payload", "")).startswith(OfferPayload.ACCEPT) for b in buttons)


def last_reply(tracker: Tracker) -> list[dict[str, Any]]:
    """The bot's reply to the customer's previous message: its events, in order.

    That reply is every event between the previous user message and this one and, when
    the previous message opened a session, the session start's messages too: Rasa logs
    those after ``session_started`` but before the message that caused them.
    """
    events = tracker.events or []
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if not users:
        return []
    latest = users[-1]
    previous = users[-2] if len(users) > 1 else -1
    first = previous + 1
    if previous >= 0:
        before_previous = users[-3] if len(users) > 2 else -1
        starts = [
            i
            for i in range(before_previous + 1, previous)
            if events[i].get("event") == "session_started"
        ]
        if starts:
            first = starts[-1] + 1
    return list(events[first:latest])


def offer_in_last_reply(tracker: Tracker) -> bool:
    """True when the bot's reply to the customer's previous message included an offer."""
    return any(is_offer(event) for event in last_reply(tracker))


def person_offered_in_last_reply(tracker: Tracker) -> bool:
    """True when that reply offered a person ("shall I pass you on?" with its button)."""
    return any(
        str(button.get("payload", "")).startswith(tone.REQUEST_HUMAN_PAYLOAD)
        for event in last_reply(tracker)
        if event.get("event") == "bot"
        for button in (event.get("data") or {}).get("buttons") or []
    )


class ActionAnswerYesNo(ShopAction):
    """A plain "yes" / "no" outside a form: the answer to the offer (in the chat's last
    reply, or waiting in the web chat since: ``actions.waiting_offers``), or to the person,
    just offered, if any.

    Forms (cancel confirmation, the two-stage fallback) take their yes / no themselves:
    Rasa lets an active loop run before any rule.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer_yes_no"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Accept or decline the offer just shown; otherwise acknowledge and offer help."""
        said_yes = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        if offer_in_last_reply(tracker) or waiting_offer_just_shown(tracker, services):
            answer = ActionAcceptOffer() if said_yes else ActionDeclineOffer()
            return answer.act(dispatcher, tracker, domain, services)
        if said_yes and person_offered_in_last_reply(tracker):
            # "Shall I pass you on?" answered by typing "yes" rather than tapping the button.
            return ActionHandoff().act(dispatcher, tracker, domain, services)
        if said_yes:
            dispatcher.utter_message(text=messages.YES_TO_NOTHING)
        else:
            dispatcher.utter_message(response="utter_anything_else")
        return []
