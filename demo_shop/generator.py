"""Deterministic, seeded demo data for the shop: catalogue, customers and a year of orders.

``generate`` fills an empty, migrated database with ~300 products, ~3000 customers with
hidden preferences, their orders (seasonal, with repeat buyers and planted bundles),
shipments, returns and browsing events, plus fixed demo customers whose order numbers it
reports by name. The same seed, sizes and ``now`` always give the same rows: every draw
comes from a ``random.Random`` seeded per stage, and nothing reads the clock.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from demo_shop.browsing import plan_events
from demo_shop.calendar import ShopCalendar
from demo_shop.catalogue import build_catalogue
from demo_shop.customers import make_customers
from demo_shop.fixtures import (
    GUEST_EMAIL,
    GUEST_NAME,
    RESERVED_EMAILS,
    plan_fixtures,
)
from demo_shop.orders import (
    BasketPicker,
    PlannedOrder,
    lifecycle,
    plan_customer_orders,
    plan_guest_orders,
    plan_returns,
)
from demo_shop.rows import ShopPlan, return_number, table_rows
from store.bulk_insert import advance_id_sequences, clear_shop_data, insert_rows
from store.db import make_session_factory
from store.models import Customer, Order, Product

DEFAULT_NOW = datetime(2025, 6, 30, 12, 0)
FIRST_ORDER_NUMBER = 10000
GUEST_ORDER_SHARE = 0.04
MIN_CUSTOMERS = 3  # the demo customers Anna, Ben and Clara


class GenerationRefused(Exception):
    """The target database already holds shop data."""


@dataclass(frozen=True)
class GenerationReport:
    """What ``generate`` wrote, and the names of the fixed demo records."""

    seed: int
    now: datetime
    customers: int
    products: int
    orders: int
    guest_orders: int
    order_lines: int
    shipments: int
    returns: int
    events: int
    orders_by_status: dict[str, int]
    fixtures: dict[str, str]  # fixture name -> order number
    fixture_customers: dict[str, dict[str, Any]]
    fixture_returns: dict[str, str]  # fixture name -> return number
    bundles: list[list[str]]  # planted bundles by SKU, anchor first
    seconds: float

    def fixtures_document(self) -> dict[str, Any]:
        """The JSON document the CLI writes next to the database (demo_fixtures.json)."""
        return {
            "seed": self.seed,
            "now": self.now.isoformat(),
            "customers": self.fixture_customers,
            "orders": self.fixtures,
            "returns": self.fixture_returns,
            "bundles": self.bundles,
        }

    def counts(self) -> dict[str, int]:
        """Rows written per table."""
        data = asdict(self)
        keys = ("customers", "products", "orders", "order_lines", "shipments", "returns", "events")
        return {key: data[key] for key in keys}


SessionTarget = Engine | sessionmaker[Session]


def _factory(target: SessionTarget) -> sessionmaker[Session]:
    return make_session_factory(target) if isinstance(target, Engine) else target


def _stage_rng(seed: int, stage: str) -> random.Random:
    # A string seed is hashed with SHA-512 by ``random``, independent of PYTHONHASHSEED;
    # one generator per stage keeps e.g. the catalogue unchanged when customers= changes.
    return random.Random(f"concierge-demo:{seed}:{stage}")


def existing_rows(session: Session) -> dict[str, int]:
    """Customers, products and orders already in the database."""
    return {
        model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Customer, Product, Order)
    }


def generate(
    target: SessionTarget,
    *,
    seed: int = 7,
    customers: int = 3000,
    products: int = 300,
    days: int = 365,
    now: datetime = DEFAULT_NOW,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> GenerationReport:
    """Fill a migrated, empty database with demo data (``replace=True`` wipes it first)."""
    say = progress or (lambda _message: None)
    if customers < MIN_CUSTOMERS or products < 30 or days < 30:
        raise ValueError(
            f"generate needs at least {MIN_CUSTOMERS} customers, 30 products and 30 days; got "
            f"{customers} customers, {products} products and {days} days"
        )
    started = time.perf_counter()
    factory = _factory(target)
    with factory() as session:
        present = existing_rows(session)
    if any(present.values()) and not replace:
        held = ", ".join(f"{n} {table}" for table, n in present.items() if n)
        raise GenerationRefused(
            f"the database already holds shop data ({held}); generate into an empty "
            "database, or replace its contents (--force on the command line)"
        )

    calendar = ShopCalendar(now, days)
    plan = _plan_shop(seed, customers, products, calendar, say)
    rows = table_rows(plan, calendar)
    with factory() as session, session.begin():
        if replace:
            emptied = clear_shop_data(session)
            say(f"emptied {', '.join(emptied)}")
        for table, table_batch in rows.items():
            insert_rows(session, table, table_batch)
            say(f"wrote {len(table_batch)} {table.name}")
        advance_id_sequences(session, rows)

    return _report(seed, calendar, plan, rows, time.perf_counter() - started)


def _free_ids(taken: set[int]) -> Iterator[int]:
    """1, 2, 3, … skipping the ids in ``taken``."""
    return (n for n in itertools.count(1) if n not in taken)


def _plan_shop(
    seed: int,
    customers: int,
    products: int,
    calendar: ShopCalendar,
    say: Callable[[str], None],
) -> ShopPlan:
    """Draw the catalogue, customers, orders with their fate, returns and browsing."""
    catalogue = build_catalogue(_stage_rng(seed, "catalogue"), products)
    picker = BasketPicker(catalogue, calendar)
    say(f"catalogue: {len(catalogue.products)} products, {len(catalogue.bundles)} bundles")
    fixtures = plan_fixtures(_stage_rng(seed, "fixtures"), catalogue, calendar, picker)
    drawn = make_customers(
        _stage_rng(seed, "customers"),
        customers - len(fixtures.customers),
        calendar,
        first_id=1,
        taken=set(RESERVED_EMAILS),
    )
    # The demo customers' ids are chosen (see fixtures.CLARA_ID); the rest fill the gaps.
    for person, free in zip(drawn, _free_ids({c.id for c in fixtures.customers}), strict=False):
        person.id = free
    people = fixtures.customers + drawn
    say(f"customers: {len(people)}")
    orders = plan_customer_orders(
        _stage_rng(seed, "orders"), people[len(fixtures.customers) :], calendar, picker
    )
    guests = plan_guest_orders(
        _stage_rng(seed, "guests"), round(GUEST_ORDER_SHARE * len(orders)), calendar, picker
    )
    orders = _number_orders(orders + guests + fixtures.orders)
    life_rng = _stage_rng(seed, "lifecycle")
    for order in orders:
        if order.lifecycle is None:
            order.lifecycle = lifecycle(life_rng, order, calendar.now)
    returns = sorted(
        plan_returns(_stage_rng(seed, "returns"), orders, catalogue, calendar.now)
        + fixtures.returns,
        key=lambda r: (r.created_at, r.order.id),
    )
    guest_count = sum(o.customer_id is None for o in orders)
    say(f"orders: {len(orders)} ({guest_count} guest checkouts), returns: {len(returns)}")
    events = plan_events(_stage_rng(seed, "events"), people, orders, picker, calendar)
    say(f"browsing events: {len(events)}")
    return ShopPlan(catalogue, people, fixtures.customers, orders, returns, events, fixtures.chats)


def _number_orders(orders: list[PlannedOrder]) -> list[PlannedOrder]:
    """Ids, order numbers from 10000 and line ids, all in order of placement."""
    orders.sort(key=lambda o: (o.placed_at, o.customer_id or 0, o.email))
    line_id = 1
    for position, order in enumerate(orders):
        order.id = position + 1
        order.number = str(FIRST_ORDER_NUMBER + position)
        order.line_ids = list(range(line_id, line_id + len(order.lines)))
        line_id += len(order.lines)
    return orders


def _report(
    seed: int,
    calendar: ShopCalendar,
    plan: ShopPlan,
    rows: dict[Table, list[dict[str, Any]]],
    seconds: float,
) -> GenerationReport:
    orders, returns = plan.orders, plan.returns
    count = {table.name: len(batch) for table, batch in rows.items()}
    statuses = Counter(o.lifecycle.status for o in orders if o.lifecycle)
    return_numbers = {r.fixture: return_number(n) for n, r in enumerate(returns) if r.fixture}
    fixture_customers: dict[str, dict[str, Any]] = {
        c.first_name.lower(): {
            "id": c.id,
            "email": c.email,
            "name": f"{c.first_name} {c.last_name}",
        }
        for c in plan.fixed
    }
    fixture_customers["guest"] = {"id": None, "email": GUEST_EMAIL, "name": GUEST_NAME}
    return GenerationReport(
        seed=seed,
        now=calendar.now,
        customers=len(plan.people),
        products=count["products"],
        orders=count["orders"],
        guest_orders=sum(o.customer_id is None for o in orders),
        order_lines=count["order_lines"],
        shipments=count["shipments"],
        returns=count["returns"],
        events=count["events"],
        orders_by_status={s: statuses[s] for s in sorted(statuses)},
        fixtures={o.fixture: o.number for o in orders if o.fixture},
        fixture_customers=fixture_customers,
        fixture_returns=return_numbers,
        bundles=plan.catalogue.bundle_skus(),
        seconds=round(seconds, 2),
    )


def write_fixtures_file(report: GenerationReport, path: Path) -> Path:
    """Write the fixed demo records' names and numbers as JSON; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.fixtures_document(), indent=2) + "\n", encoding="utf-8")
    return path
