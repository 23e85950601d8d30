"""The shop repository: every read and write that actions and the console make.

Each public method is one unit of work in its own ``Session`` and returns views (frozen
dataclasses), never ORM objects. Writes that check before they insert take SQLite's write
lock up front (``BEGIN IMMEDIATE``; ``SELECT ... FOR UPDATE`` elsewhere), so two action
server workers cannot both create the same return or handoff.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from store.db import Clock, make_engine, make_session_factory, utcnow
from store.errors import CustomerNotFound, OrderNotFound, Refused
from store.identities import put_identity
from store.models import (
    Customer,
    Identity,
    Order,
    OrderLine,
    Return,
)
from store.policy import ShopPolicy, load_policy
from store.rules import (
    as_customer_id,
    cancel_refusal,
    normalize_order_number,
    normalize_return_number,
    return_refusal,
    same_email,
)
from store.session_history import SessionHistory
from store.views import (
    OPEN_RETURN_STATUSES,
    CustomerView,
    OrderView,
    ReturnView,
)

if TYPE_CHECKING:
    from concierge.settings import Settings

__all__ = ["CustomerNotFound", "OrderNotFound", "Refused", "ShopRepository", "utcnow"]

_ORDER_LOAD = (
    selectinload(Order.lines).selectinload(OrderLine.product),
    selectinload(Order.shipments),
    selectinload(Order.returns).selectinload(Return.line).selectinload(OrderLine.product),
)
_RETURN_LOAD = (
    selectinload(Return.order),
    selectinload(Return.line).selectinload(OrderLine.product),
)


def _owns(order: Order, customer_id: int | str | None, email: str | None) -> bool:
    """A signed-in customer must own the order; a guest must know its e-mail."""
    signed_in = as_customer_id(customer_id)
    if signed_in is not None:
        return order.customer_id == signed_in
    return same_email(order.email, email)


class ShopRepository(SessionHistory):
    """Customers, orders, returns, chat sessions and handoffs of one shop database."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock = utcnow,
        policy: ShopPolicy | None = None,
    ) -> None:
        super().__init__(session_factory, clock)
        if policy is None:
            from concierge.settings import Settings

            policy = load_policy(Settings.from_env().policy_file)
        self.policy = policy

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = utcnow) -> ShopRepository:
        """A repository on ``settings.db_url`` with the policy of ``settings.policy_file``."""
        return cls(
            make_session_factory(make_engine(settings.db_url)),
            clock=clock,
            policy=load_policy(settings.policy_file),
        )

    # -- identity and customers ---------------------------------------------------------

    def customer_for_sender(self, sender_id: str, channel: str = "web") -> CustomerView | None:
        """The customer a channel's sender id is linked to, or None for a guest."""
        with self._read() as s:
            customer = s.scalar(
                select(Customer)
                .join(Identity, Identity.customer_id == Customer.id)
                .where(Identity.channel == channel, Identity.channel_user_id == sender_id)
            )
            return CustomerView.of(customer) if customer else None

    def link_identity(self, channel: str, channel_user_id: str, customer_id: int) -> None:
        """Link a channel user id to a customer (re-linking moves it; repeating is a no-op)."""
        with self._write() as s:
            if s.get(Customer, customer_id) is None:
                raise CustomerNotFound(customer_id)
            put_identity(s, channel, channel_user_id, customer_id, self._clock())

    def link_vouched_customer(
        self, channel: str, channel_user_id: str, external_id: str
    ) -> CustomerView | None:
        """Link a chat to the customer whose shop id ``external_id`` the shop's server signed.

        The link records that id (``Identity.external_id``). None, and nothing linked,
        when no customer has it as ``external_ref``.
        """
        with self._write() as s:
            customer = s.scalar(select(Customer).where(Customer.external_ref == external_id))
            if customer is None:
                return None
            identity = put_identity(s, channel, channel_user_id, customer.id, self._clock())
            identity.external_id = external_id
            return CustomerView.of(customer)

    def get_customer(self, customer_id: int) -> CustomerView | None:
        """One customer by id."""
        with self._read() as s:
            customer = s.get(Customer, customer_id)
            return CustomerView.of(customer) if customer else None

    def list_customers(
        self, limit: int = 50, offset: int = 0, search: str | None = None
    ) -> list[CustomerView]:
        """Customers by id, optionally those whose e-mail or name contains ``search``."""
        query = select(Customer).order_by(Customer.id).limit(limit).offset(offset)
        if search and search.strip():
            term = f"%{search.strip()}%"
            query = query.where(
                or_(
                    Customer.email.ilike(term),
                    Customer.first_name.ilike(term),
                    Customer.last_name.ilike(term),
                    (Customer.first_name + " " + Customer.last_name).ilike(term),
                )
            )
        with self._read() as s:
            return [CustomerView.of(c) for c in s.scalars(query)]

    # -- orders and returns -------------------------------------------------------------

    def _load_order(self, s: Session, number: str, *, lock: bool = False) -> Order | None:
        query = select(Order).where(Order.number == normalize_order_number(number))
        if lock:
            query = query.with_for_update()
        return s.scalar(query.options(*_ORDER_LOAD))

    def find_order_for(
        self, number: str, *, customer_id: int | None, email: str | None
    ) -> OrderView | None:
        """The order if the asker may see it; None when unknown or someone else's."""
        with self._read() as s:
            order = self._load_order(s, number)
            if order is None or not _owns(order, customer_id, email):
                return None
            return OrderView.of(order)

    def recent_orders(self, customer_id: int, limit: int = 5) -> list[OrderView]:
        """A customer's latest orders, newest first."""
        owner = as_customer_id(customer_id)
        with self._read() as s:
            orders = s.scalars(
                select(Order)
                .where(Order.customer_id == owner)
                .order_by(Order.placed_at.desc(), Order.id.desc())
                .limit(limit)
                .options(*_ORDER_LOAD)
            )
            return [OrderView.of(o) for o in orders]

    def cancel_order(self, number: str, *, customer_id: int | None, email: str | None) -> OrderView:
        """Cancel a pending or processing order; raises OrderNotFound or Refused."""
        with self._write() as s:
            order = self._load_order(s, number, lock=True)
            if order is None or not _owns(order, customer_id, email):
                raise OrderNotFound(normalize_order_number(number))
            now = self._clock()
            refusal = cancel_refusal(OrderView.of(order), now)
            if refusal is not None:
                raise Refused(refusal)
            order.status = "cancelled"
            order.cancelled_at = now
            s.flush()
            return OrderView.of(order)

    def create_return(
        self,
        order_number: str,
        order_line_id: int,
        reason: str,
        *,
        customer_id: int | None,
        email: str | None,
    ) -> ReturnView:
        """Open a return for one order line, or give back the one already open for it."""
        with self._write() as s:
            order = self._load_order(s, order_number, lock=True)
            if order is None or not _owns(order, customer_id, email):
                raise OrderNotFound(normalize_order_number(order_number))
            for existing in order.returns:
                if existing.order_line_id == order_line_id and (
                    existing.status in OPEN_RETURN_STATUSES
                ):
                    return ReturnView.of(existing)
            now = self._clock()
            refusal = return_refusal(OrderView.of(order), order_line_id, now, self.policy)
            if refusal is not None:
                raise Refused(refusal)
            line = next(ln for ln in order.lines if ln.id == order_line_id)
            ret = Return(
                # Placeholder until the row id is known; the number is derived from it so
                # that concurrent writers can never pick the same one.
                number=f"new-{uuid.uuid4().hex[:24]}",
                order=order,
                line=line,
                customer_id=order.customer_id,
                reason=(reason or "").strip()[:255] or "not given",
                status="requested",
                refund_amount=round(line.quantity * line.unit_price, 2),
                created_at=now,
                updated_at=now,
            )
            s.add(ret)
            s.flush()
            ret.number = f"R-{10000 + ret.id}"
            s.flush()
            return ReturnView.of(ret)

    def find_return_for(
        self, number: str, *, customer_id: int | None, email: str | None
    ) -> ReturnView | None:
        """The return if the asker owns its order; None when unknown or someone else's."""
        with self._read() as s:
            ret = s.scalar(
                select(Return)
                .where(Return.number == normalize_return_number(number))
                .options(*_RETURN_LOAD)
            )
            if ret is None or not _owns(ret.order, customer_id, email):
                return None
            return ReturnView.of(ret)

    def latest_return(self, customer_id: int) -> ReturnView | None:
        """The customer's most recently opened return."""
        with self._read() as s:
            ret = s.scalar(
                select(Return)
                .join(Order, Return.order_id == Order.id)
                .where(Order.customer_id == customer_id)
                .order_by(Return.created_at.desc(), Return.id.desc())
                .limit(1)
                .options(*_RETURN_LOAD)
            )
            return ReturnView.of(ret) if ret else None
