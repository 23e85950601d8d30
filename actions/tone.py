"""Frustration with no request in it, and requests the chat leaves to the team.

Both end with a way to a person: an upset customer or one asking for something the chat
cannot do (change an address, match a price, take a complaint) must not be sent round a
flow that cannot help.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, ShopAction
from actions.frustration import already_apologised, talk_to_a_person_button
from actions.messages import tone
from actions.services import Services
from store.not_served import topic_for


class ActionAcknowledgeFrustration(ShopAction):
    """Answers "this is useless": an apology and the offer of a person, nothing else.

    In a form a rule runs it and the form asks its question again.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_acknowledge_frustration"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Apologise (unless this turn already did) and offer a person, with one button."""
        # ShopAction.run's hook has usually just apologised, with the button on the apology.
        said_here = any(tone.is_apology(m.get("text")) for m in dispatcher.messages)
        if not said_here and not already_apologised(tracker):
            turns = sum(1 for e in tracker.events or [] if e.get("event") == "user")
            dispatcher.utter_message(text=tone.apology(turns))
        buttons = [] if said_here else [talk_to_a_person_button()]
        dispatcher.utter_message(text=tone.HOW_CAN_I_PUT_IT_RIGHT, buttons=buttons)
        return []


def pass_on_buttons() -> list[dict[str, str]]:
    """The handoff offer's quick replies: a person, or carry on without one."""
    return [
        {"title": tone.PASS_ME_ON, "payload": tone.REQUEST_HUMAN_PAYLOAD},
        {"title": tone.NO_THANKS, "payload": tone.DENY_PAYLOAD},
    ]


class ActionUnsupportedRequest(ShopAction):
    """An honest answer from the shop policy's ``not_served_here`` topics, and a handoff offer."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_unsupported_request"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Say what the chat can't do about the request, and offer the team."""
        text = tracker.latest_message.get("text") or ""
        topic = topic_for(text, services.policy.not_served_here)
        dispatcher.utter_message(
            text=f"{topic.answer} {tone.SHALL_I_PASS_YOU_ON}", buttons=pass_on_buttons()
        )
        return []
