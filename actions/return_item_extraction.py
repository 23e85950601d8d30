"""What fills ``return_item`` while the return form asks for it: an item, or nothing.

Rasa's own mappings store a value before any validator sees it: asked "which item?", the
answer "it's broken, the handle snapped off" became the item ("handle", from DIET's product
entity, or the whole sentence, from ``from_text``) and was only reset by the form's
validator, so the conversation's record held a reason as the item (issue 14: a value must
look like what it fills before it is stored). While the form asks for the item, Rasa runs
this custom slot mapping instead (``bot/domain/returns.yml``), only in that state, so no
other turn pays for the call. It decides with the order in hand:

- words that name a line of the order (or several, to be asked which) fill the item;
- otherwise a reason ("it's broken", or the NLU's ``return_reason``) fills the reason, and
  the form's validator says it was noted and asks for the item again, with buttons;
- anything else fills the item as before, so the validator can say what it can't find.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, ShopAction, order_in_slots
from actions.parsing import as_text, looks_like_reason, match_order_line
from actions.recommendations import entity_values
from actions.services import Services

ITEM_SLOT = "return_item"
REASON_SLOT = "return_reason"
PRODUCT_ENTITY = "product"
REASON_ENTITY = "return_reason"


def _plain_value(tracker: Tracker) -> str:
    """What Rasa's own mappings would store: the last product named, else the message."""
    named = entity_values(tracker, PRODUCT_ENTITY)
    return named[-1] if named else as_text(tracker.latest_message.get("text"))


def item_or_reason(tracker: Tracker, services: Services) -> EventList:
    """The slot events for the customer's answer to "which item?" (see the module doc)."""
    text = as_text(tracker.latest_message.get("text"))
    _, order = order_in_slots(tracker, services)
    if order is None:
        # No order to match against (a guest before the e-mail check): the validator decides.
        return [SlotSet(ITEM_SLOT, _plain_value(tracker))] if text else []
    for said in [*reversed(entity_values(tracker, PRODUCT_ENTITY)), text]:
        match = match_order_line(said, order.lines)
        if match.line is not None or match.ambiguous:
            return [SlotSet(ITEM_SLOT, said)]
    reasons = entity_values(tracker, REASON_ENTITY)
    if reasons or looks_like_reason(text):
        return [SlotSet(REASON_SLOT, reasons[-1] if reasons else text)]
    return [SlotSet(ITEM_SLOT, _plain_value(tracker))] if text else []


class ActionExtractReturnItem(ShopAction):
    """Rasa's custom slot mapping for ``return_item`` while ``return_form`` asks for it."""

    # A slot mapping, not a turn of its own: the form's validator records the turn.
    records_activity = False
    # Rasa drops what a slot mapping says; the form's validator apologises instead.
    apologises_when_store_unreachable = False

    def name(self) -> str:
        """The action named by the slot mapping in the domain."""
        return "action_extract_return_item"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Fill the item or the reason from the customer's answer."""
        return item_or_reason(tracker, services)

    def when_store_unreachable(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Without the order, store what Rasa's own mappings would have."""
        value = _plain_value(tracker)
        return [SlotSet(ITEM_SLOT, value)] if value else []
