"""``{placeholders}`` in dialogues, resolved by meaning from the store the stack runs on.

Dialogues say "Anna's order in transit", not "18985", so they stay true when the demo data
is regenerated and also hold on the test suite's smaller shop (tests/support/shop.py).

- ``{anna.email}``, ``{anna.first_name}``; the same for ``ben``, ``clara`` and ``guest``
  (the guest is whoever placed the latest order without an account);
- ``{anna.orders}`` every order number of hers, ``{anna.open_orders}`` those not delivered
  or cancelled (both stand for several values);
- ``{anna.latest_order}``, and the latest of a status: ``{anna.shipped_order}``,
  ``{anna.pending_order}``, ``{anna.processing_order}``, ``{anna.delivered_order}``,
  ``{anna.cancelled_order}``; ``{anna.shipped_item}`` etc. the first item's title;
- ``{ben.return}`` the number of the customer's latest return;
- ``{unknown_order}`` a five-digit number no order has;
- ``{shown.1}``, ``{shown.2}``, ``{shown.last}``: titles of the products the bot showed
  last (its ``shown_products`` slot), resolved when the turn is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from demo_shop.fixtures import ANNA_EMAIL, BEN_EMAIL, CLARA_EMAIL, GUEST_EMAIL
from store.db import make_engine

PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z0-9_]+)?)\}")
KNOWN_EMAILS = {"anna": ANNA_EMAIL, "ben": BEN_EMAIL, "clara": CLARA_EMAIL}
STATUSES = ("shipped", "pending", "processing", "delivered", "cancelled")
OPEN_STATUSES = ("pending", "processing", "shipped")


_ORDER_KEYS = ("orders", "open_orders", "order", "latest_order", "latest_item", "return")
KNOWN_NAMES = re.compile(
    r"unknown_order|shown\.(?:\d+|last)|(?:anna|ben|clara|guest)\.(?:email|first_name|"
    + "|".join(_ORDER_KEYS)
    + "".join(f"|{s}_order|{s}_item" for s in STATUSES)
    + ")"
)


def is_known(name: str) -> bool:
    """Whether ``name`` (without braces) is a placeholder :func:`shop_facts` can fill."""
    return KNOWN_NAMES.fullmatch(name) is not None


class UnresolvedPlaceholder(LookupError):
    """A dialogue names something the store does not have (e.g. no pending order)."""


@dataclass
class ShopFacts:
    """Values by placeholder name, single (str) or several (list of str)."""

    values: dict[str, str | list[str]] = field(default_factory=dict)
    customer_ids: dict[str, int] = field(default_factory=dict)
    product_titles: dict[str, str] = field(default_factory=dict)

    def resolve(self, template: str, slots: dict[str, Any] | None = None) -> list[str]:
        """Every text ``template`` stands for (several when it names a list)."""
        names = PLACEHOLDER.findall(template)
        results = [template]
        for name in names:
            values = self._value(name, slots or {})
            options = values if isinstance(values, list) else [values]
            results = [r.replace("{" + name + "}", o) for r in results for o in options]
        return results

    def one(self, template: str, slots: dict[str, Any] | None = None) -> str:
        """``template`` with single-valued placeholders filled (user text, slot values)."""
        values = self.resolve(template, slots)
        if len(values) != 1:
            raise UnresolvedPlaceholder(f"{template!r} stands for several values here")
        return values[0]

    def _value(self, name: str, slots: dict[str, Any]) -> str | list[str]:
        if name.startswith("shown."):
            return self._shown(name.split(".", 1)[1], slots)
        if name not in self.values:
            raise UnresolvedPlaceholder(f"the store has nothing for {{{name}}}")
        return self.values[name]

    def _shown(self, which: str, slots: dict[str, Any]) -> str:
        shown = slots.get("shown_products") or []
        if not isinstance(shown, list) or not shown:
            raise UnresolvedPlaceholder(f"{{shown.{which}}}: the bot showed no products")
        index = len(shown) - 1 if which == "last" else int(which) - 1
        if not 0 <= index < len(shown):
            raise UnresolvedPlaceholder(f"{{shown.{which}}}: the bot showed {len(shown)}")
        product_id = str(shown[index])
        if product_id not in self.product_titles:
            raise UnresolvedPlaceholder(f"{{shown.{which}}}: no product {product_id}")
        return self.product_titles[product_id]


def _customer_id(conn: Any, who: str) -> int | None:
    email = KNOWN_EMAILS[who]
    row = conn.execute(text("SELECT id FROM customers WHERE email = :e"), {"e": email}).first()
    if row is None:  # a shop without the demo's fixed customers: the first of that name
        row = conn.execute(
            text("SELECT MIN(id) FROM customers WHERE LOWER(first_name) = :n"), {"n": who}
        ).first()
    return None if row is None or row[0] is None else int(row[0])


def _orders(conn: Any, where: str, params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(number, status, first item title) of matching orders, latest first."""
    rows = conn.execute(
        text(
            "SELECT o.number, o.status, (SELECT p.title FROM order_lines l JOIN products p "
            "ON p.id = l.product_id WHERE l.order_id = o.id ORDER BY l.id LIMIT 1) "
            f"FROM orders o WHERE {where} ORDER BY o.placed_at DESC, o.id DESC"
        ),
        params,
    ).all()
    return [(str(n), str(s), str(t or "")) for n, s, t in rows]


def _order_facts(who: str, orders: list[tuple[str, str, str]]) -> dict[str, str | list[str]]:
    facts: dict[str, str | list[str]] = {}
    if not orders:
        return facts
    facts[f"{who}.orders"] = [n for n, _, _ in orders]
    facts[f"{who}.open_orders"] = [n for n, s, _ in orders if s in OPEN_STATUSES]
    facts[f"{who}.latest_order"], _, facts[f"{who}.latest_item"] = orders[0]
    facts[f"{who}.order"] = orders[0][0]
    for status in STATUSES:
        match = next((o for o in orders if o[1] == status), None)
        if match is not None:
            facts[f"{who}.{status}_order"] = match[0]
            facts[f"{who}.{status}_item"] = match[2]
    return facts


def shop_facts(db_url: str) -> ShopFacts:
    """What the placeholders stand for in the store at ``db_url`` right now."""
    engine = make_engine(db_url)
    facts = ShopFacts()
    try:
        with engine.connect() as conn:
            for who in KNOWN_EMAILS:
                customer_id = _customer_id(conn, who)
                if customer_id is None:
                    continue
                row = conn.execute(
                    text("SELECT email, first_name FROM customers WHERE id = :i"),
                    {"i": customer_id},
                ).one()
                facts.customer_ids[who] = customer_id
                facts.values[f"{who}.email"] = str(row[0])
                facts.values[f"{who}.first_name"] = str(row[1] or "")
                facts.values.update(
                    _order_facts(who, _orders(conn, "o.customer_id = :c", {"c": customer_id}))
                )
                returned = conn.execute(
                    text(
                        "SELECT number FROM returns WHERE customer_id = :c "
                        "ORDER BY created_at DESC, id DESC LIMIT 1"
                    ),
                    {"c": customer_id},
                ).first()
                if returned is not None:
                    facts.values[f"{who}.return"] = str(returned[0])
            guest = (
                conn.execute(
                    text("SELECT email FROM orders WHERE customer_id IS NULL AND email = :e"),
                    {"e": GUEST_EMAIL},
                ).first()
                or conn.execute(
                    text(
                        "SELECT email FROM orders WHERE customer_id IS NULL "
                        "ORDER BY placed_at DESC LIMIT 1"
                    )
                ).first()
            )
            if guest is not None:
                facts.values["guest.email"] = str(guest[0])
                facts.values.update(
                    _order_facts(
                        "guest",
                        _orders(conn, "o.customer_id IS NULL AND o.email = :e", {"e": guest[0]}),
                    )
                )
            numbers = {str(n) for (n,) in conn.execute(text("SELECT number FROM orders"))}
            facts.values["unknown_order"] = next(
                str(n) for n in range(99999, 10000, -1) if str(n) not in numbers
            )
            facts.product_titles = {
                str(i): str(t) for i, t in conn.execute(text("SELECT id, title FROM products"))
            }
    finally:
        engine.dispose()
    return facts
