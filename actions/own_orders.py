"""A signed-in customer's own orders: listing them, and asking "which one?" with buttons.

A signed-in customer never has to type a number the bot can see. ``action_list_orders``
shows her recent orders as buttons whose payload fills ``order_number``; the forms ask for
an order with the same buttons (``action_ask_<form>_order_number``, which Rasa prefers
over the ``utter_ask_*`` response) and ask for the item to return with the order's items
as buttons. Which of her orders suit a form (open ones to track, returnable ones to
return, cancellable ones to cancel) is decided here, once, for the forms and the asks.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import EventList, ShopAction, customer_id_of, order_in_slots
from actions.messages import orders as order_words
from actions.messages import returns as return_words
from actions.order_reference import resolve_reference
from actions.services import Services
from store.policy import ShopPolicy
from store.repository import utcnow
from store.rules import cancel_refusal, return_refusal
from store.views import OrderView

# How many of her orders the bot considers and shows: the recent ones are what people ask
# about, and a chat can't show a long list of buttons.
ORDERS_CONSIDERED = 10
ORDERS_SHOWN = 5
# An order delivered this recently is still "the" order to track when nothing is open.
RECENT_DAYS = 30
SETTLED = ("delivered", "cancelled")

Fits = Callable[[list[OrderView], datetime, ShopPolicy], list[OrderView]]


def _to_track(orders: list[OrderView], now: datetime, policy: ShopPolicy) -> list[OrderView]:
    open_ = [o for o in orders if o.status not in SETTLED]
    if open_:
        return open_
    return [o for o in orders if o.placed_at >= now - timedelta(days=RECENT_DAYS)]


def _to_return(orders: list[OrderView], now: datetime, policy: ShopPolicy) -> list[OrderView]:
    return [o for o in orders if return_refusal(o, None, now, policy) is None]


def _to_cancel(orders: list[OrderView], now: datetime, policy: ShopPolicy) -> list[OrderView]:
    return [o for o in orders if cancel_refusal(o, now) is None]


# The orders each form could be about, newest first; one means the form needs no question.
FORM_FITS: dict[str, Fits] = {
    "order_status_form": _to_track,
    "return_form": _to_return,
    "cancel_order_form": _to_cancel,
}


def own_orders(services: Services, customer_id: int) -> list[OrderView]:
    """Her recent orders, newest first."""
    return services.repository.recent_orders(customer_id, limit=ORDERS_CONSIDERED)


def fitting_orders(
    form: str, orders: list[OrderView], now: datetime, policy: ShopPolicy
) -> list[OrderView]:
    """The orders ``form`` could be about (all of them for an unknown form)."""
    fits = FORM_FITS.get(form)
    return orders if fits is None else fits(orders, now, policy)


def order_payload(number: str) -> str:
    """The button payload that answers "which order?" with ``number``."""
    return "/inform" + json.dumps({"order_number": number}, separators=(",", ":"))


def item_payload(title: str) -> str:
    """The button payload that answers "which item?" with a product title."""
    return "/inform" + json.dumps({"product": title}, separators=(",", ":"), ensure_ascii=False)


def order_buttons(orders: list[OrderView], now: datetime) -> list[dict[str, str]]:
    """One button per order (number, date, first item, status), at most ORDERS_SHOWN."""
    return [
        {"title": order_words.order_button_title(o, now), "payload": order_payload(o.number)}
        for o in orders[:ORDERS_SHOWN]
    ]


def listed_order_meant(tracker: Tracker, services: Services) -> str | None:
    """The number of her order the latest message names, right after her orders were listed.

    With her orders on screen, "what about the string lights one?" is about the order with
    string lights in it, however the NLU read the sentence; anywhere else it may be a
    question about a product. None unless exactly one of her orders fits the words.
    """
    customer_id = customer_id_of(tracker)
    if customer_id is None or action_before_message(tracker) != "action_list_orders":
        return None
    text = str((tracker.latest_message or {}).get("text") or "")
    meant = resolve_reference(text, own_orders(services, customer_id), utcnow())
    return meant.order.number if meant.order is not None else None


def action_before_message(tracker: Tracker) -> str | None:
    """The bot's last action before the customer's latest message (``action_listen`` aside)."""
    events = list(tracker.events)
    latest = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if latest is None:
        return None
    for event in reversed(events[:latest]):
        if event.get("event") == "action" and event.get("name") != "action_listen":
            return str(event.get("name"))
    return None


class ActionListOrders(ShopAction):
    """Shows a signed-in customer her recent orders; tells a guest how to get hers."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_list_orders"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Her recent orders as buttons that look each one up."""
        customer_id = customer_id_of(tracker)
        if customer_id is None:
            dispatcher.utter_message(text=order_words.GUEST_LIST_ORDERS)
            return []
        orders = own_orders(services, customer_id)
        if not orders:
            dispatcher.utter_message(text=order_words.NO_ORDERS_YET)
            return []
        dispatcher.utter_message(
            text=order_words.YOUR_RECENT_ORDERS, buttons=order_buttons(orders, utcnow())
        )
        return []


class AskOrderNumber(ShopAction):
    """Asks which order a form is about: her orders as buttons, or the number of a guest."""

    records_activity = False

    @property
    @abstractmethod
    def form(self) -> str:
        """The form that asks."""

    def name(self) -> str:
        """``action_ask_<form>_order_number``, which Rasa runs instead of the response."""
        return f"action_ask_{self.form}_order_number"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Narrowed to what her last message fitted, else the orders that suit the form."""
        customer_id = customer_id_of(tracker)
        orders = [] if customer_id is None else own_orders(services, customer_id)
        if not orders:
            dispatcher.utter_message(response=f"utter_ask_{self.form}_order_number")
            return []
        now = utcnow()
        said = str(tracker.latest_message.get("text") or "")
        meant = resolve_reference(said, orders, now)
        if meant.referred and len(meant.orders) > 1:
            text, shown = order_words.WHICH_OF_THESE, list(meant.orders)
        else:
            fitting = fitting_orders(self.form, orders, now, services.policy)
            text, shown = order_words.WHICH_OWN_ORDER, fitting if len(fitting) > 1 else orders
        dispatcher.utter_message(text=text, buttons=order_buttons(shown, now))
        return []


class ActionAskOrderStatusFormOrderNumber(AskOrderNumber):
    """Which order to track."""

    form = "order_status_form"


class ActionAskReturnFormOrderNumber(AskOrderNumber):
    """Which order the return is from."""

    form = "return_form"


class ActionAskCancelOrderFormOrderNumber(AskOrderNumber):
    """Which order to cancel."""

    form = "cancel_order_form"


class ActionAskReturnFormReturnItem(ShopAction):
    """Asks which item to return, with the order's items as buttons."""

    records_activity = False

    def name(self) -> str:
        """The action's name in the domain (Rasa prefers it over the response)."""
        return "action_ask_return_form_return_item"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """One button per item of the order in the slots; the plain question without one."""
        _, order = order_in_slots(tracker, services)
        if order is None:
            dispatcher.utter_message(response="utter_ask_return_form_return_item")
            return []
        buttons = [{"title": ln.title, "payload": item_payload(ln.title)} for ln in order.lines]
        dispatcher.utter_message(text=return_words.which_item_to_return(order), buttons=buttons)
        return []
