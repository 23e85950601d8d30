"""Exceptions the repository raises for requests a customer (or caller) got wrong."""

from __future__ import annotations

from store.rules import Refusal


class StoreError(Exception):
    """Base class of the store's expected, user-caused errors."""


class OrderNotFound(StoreError):
    """No order with that number belongs to the asker (unknown and not-yours look alike)."""

    def __init__(self, number: str) -> None:
        self.number = number
        # Not a sentence for the customer: actions.messages.order_not_found words it.
        super().__init__(f"no order {number} that this asker may see")


class Refused(StoreError):
    """The request breaks a shop rule; ``actions.messages.refusal_text`` words ``refusal``."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        super().__init__(f"order {refusal.order_number} refused: {refusal.code}")

    @property
    def code(self) -> str:
        """The refusal code, e.g. ``window_passed``."""
        return self.refusal.code


class CustomerNotFound(StoreError):
    """A customer id that is not in the database."""

    def __init__(self, customer_id: int) -> None:
        self.customer_id = customer_id
        super().__init__(f"there is no customer with id {customer_id}")
