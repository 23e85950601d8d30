"""Import the UCI Online Retail invoice file into the shop database.

Columns: InvoiceNo, StockCode, Description, Quantity, InvoiceDate (``YYYY-MM-DD
HH:MM:SS``), UnitPrice, CustomerID, Country; plain or gzipped CSV. Customers come from
CustomerID, products from StockCode, orders from invoices (delivered, with a shipment
synthesised from the invoice number). Invoices starting with ``C`` become credit notes
(``kind="credit_note"``, cancelled, quantities negative as in the file). Lines without a
CustomerID become guest orders with a guest e-mail per invoice. Lines that are not
sales of a product (postage, fees, manual adjustments, zero or negative prices, stock
write-offs) are skipped and counted by reason, so that every line read is accounted for.
The whole import is one transaction; a file whose invoices are already in the database
is refused rather than imported twice.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import statistics
import string
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.bulk_insert import advance_id_sequences, insert_rows, next_id
from store.keyword_categories import category_for, colour_for
from store.models import Customer, Order, OrderLine, Product, Shipment

COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
# Stock codes that are charges or adjustments, not products: postage, carriage, manual
# entries, discounts, samples, bad-debt adjustments, bank and marketplace fees.
NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "C2", "M", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK"}
)
GIFT_VOUCHER_PREFIX = "GIFT_"
SKIP_REASONS = (
    "malformed",
    "negative_quantity_outside_credit_note",
    "positive_quantity_in_credit_note",
    "zero_quantity",
    "negative_price",
    "zero_price",
    "non_product_code",
)
UK = "United Kingdom"


class OnlineRetailError(Exception):
    """The file cannot be imported (missing, wrong columns, or already imported)."""


@dataclass
class ImportReport:
    """What the import read, wrote and skipped; the line counts add up to ``lines_read``."""

    path: str
    lines_read: int = 0
    order_lines: int = 0  # sale lines of registered customers
    guest_lines: int = 0  # sale lines without a CustomerID
    cancellation_lines: int = 0  # lines of C-invoices, imported into credit notes
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))
    lines_without_description: int = 0  # imported lines whose own Description was blank
    customers: int = 0
    products: int = 0
    orders: int = 0  # sale invoices, guest ones included
    guest_orders: int = 0
    credit_notes: int = 0
    shipments: int = 0
    seconds: float = 0.0

    @property
    def imported_lines(self) -> int:
        """Lines that became order lines."""
        return self.order_lines + self.guest_lines + self.cancellation_lines

    @property
    def skipped_lines(self) -> int:
        """Lines left out, whatever the reason."""
        return sum(self.skipped.values())

    def adds_up(self) -> bool:
        """True when every line read was either imported or skipped for a counted reason."""
        return self.imported_lines + self.skipped_lines == self.lines_read


@dataclass
class _Invoice:
    placed_at: datetime
    customer: str
    country: str
    credit: bool
    total: float = 0.0
    lines: int = 0


@dataclass
class _Parsed:
    """Everything the single pass over the file collects."""

    invoices: dict[str, _Invoice] = field(default_factory=dict)
    lines: list[tuple[str, str, int, float]] = field(default_factory=list)
    descriptions: dict[str, Counter[str]] = field(default_factory=dict)
    sale_prices: dict[str, list[float]] = field(default_factory=dict)
    credit_prices: dict[str, list[float]] = field(default_factory=dict)
    product_since: dict[str, datetime] = field(default_factory=dict)  # first-seen order
    countries: dict[str, Counter[str]] = field(default_factory=dict)
    customer_since: dict[str, datetime] = field(default_factory=dict)


def _open_text(path: Path) -> io.TextIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def _rows(path: Path, limit: int | None) -> Iterator[list[str]]:
    """Data rows as lists ordered like ``COLUMNS``; checks the header first."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise OnlineRetailError(
                f"{path} is not in the Online Retail layout: missing column(s) "
                f"{', '.join(missing)}; expected {', '.join(COLUMNS)}"
            )
        positions = [header.index(c) for c in COLUMNS]
        width = max(positions) + 1
        for count, row in enumerate(reader):
            if limit is not None and count >= limit:
                return
            yield [row[p] for p in positions] if len(row) >= width else []


def _customer_id(raw: str) -> str:
    raw = raw.strip()
    return raw[:-2] if raw.endswith(".0") else raw  # "17850.0" from spreadsheet exports


def _classify(qty: int, price: float, credit: bool, code: str) -> str | None:
    """The skip reason of a well-formed line, or None when it is imported."""
    # Quantity first: a negative quantity outside a credit note is a stock write-off
    # ("damaged", "lost"), whatever price it was booked at.
    if qty < 0 and not credit:
        return "negative_quantity_outside_credit_note"
    if qty > 0 and credit:
        return "positive_quantity_in_credit_note"
    if qty == 0:
        return "zero_quantity"
    if price < 0:
        return "negative_price"
    if price == 0:
        return "zero_price"
    if code in NON_PRODUCT_CODES or code.startswith(GIFT_VOUCHER_PREFIX):
        return "non_product_code"
    return None


def _parse(path: Path, limit: int | None, report: ImportReport) -> _Parsed:
    parsed = _Parsed()
    dates: dict[str, datetime] = {}
    intern = sys.intern
    for row in _rows(path, limit):
        report.lines_read += 1
        try:
            invoice, code, description, qty_text, date_text, price_text, customer, country = row
            qty, price = int(qty_text), float(price_text)
            placed = dates.get(date_text) or dates.setdefault(
                date_text, datetime.fromisoformat(date_text.strip())
            )
        except ValueError:  # a short row unpacks to ValueError too
            report.skipped["malformed"] += 1
            continue
        invoice, code = intern(invoice.strip().upper()), intern(code.strip().upper())
        credit = invoice.startswith("C")
        if not invoice or not code or price != price or abs(price) == float("inf"):
            report.skipped["malformed"] += 1
            continue
        reason = _classify(qty, price, credit, code)
        if reason:
            report.skipped[reason] += 1
            continue
        customer, country = _customer_id(customer), intern(country.strip() or UK)
        description = " ".join(description.split())
        head = parsed.invoices.get(invoice)
        if head is None:
            head = parsed.invoices[invoice] = _Invoice(placed, customer, country, credit)
        head.placed_at = min(head.placed_at, placed)
        head.customer = head.customer or customer
        head.total += qty * price
        head.lines += 1
        parsed.lines.append((invoice, code, qty, price))
        if description:
            parsed.descriptions.setdefault(code, Counter())[description] += 1
        else:
            report.lines_without_description += 1
        prices = parsed.credit_prices if credit else parsed.sale_prices
        prices.setdefault(code, []).append(price)
        parsed.product_since[code] = min(parsed.product_since.get(code, placed), placed)
        if customer:
            parsed.countries.setdefault(customer, Counter())[country] += 1
            since = parsed.customer_since.get(customer, placed)
            parsed.customer_since[customer] = min(since, placed)
    return parsed


def import_online_retail(
    path: str | Path,
    session_factory: sessionmaker[Session],
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import an Online Retail CSV (optionally only its first ``limit`` lines)."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise OnlineRetailError(f"no Online Retail file at {path}")
    if limit is not None and limit < 1:
        raise OnlineRetailError(f"limit must be a positive number of lines, got {limit}")
    report = ImportReport(path=str(path))
    say(f"reading {path}")
    parsed = _parse(path, limit, report)
    say(
        f"read {report.lines_read} lines: {len(parsed.lines)} to import, "
        f"{report.skipped_lines} to skip; writing"
    )
    for invoice in parsed.invoices.values():
        if invoice.credit:
            report.cancellation_lines += invoice.lines
        elif invoice.customer:
            report.order_lines += invoice.lines
        else:
            report.guest_lines += invoice.lines
    with session_factory() as session, session.begin():
        _refuse_if_imported(session, path, list(parsed.invoices))
        customers = _write_customers(session, parsed, report)
        products = _write_products(session, parsed, report)
        _write_orders(session, parsed, customers, products, report)
        advance_id_sequences(
            session, [t.__table__ for t in (Customer, Product, Order, OrderLine, Shipment)]
        )
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _existing(session: Session, column: Any, values: list[str]) -> dict[str, int]:
    """Which of ``values`` the column already holds, mapped to their row ids."""
    found: dict[str, int] = {}
    model = column.class_
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        for value, row_id in session.execute(select(column, model.id).where(column.in_(chunk))):
            found[value] = row_id
    return found


def _refuse_if_imported(session: Session, path: Path, invoices: list[str]) -> None:
    present = _existing(session, Order.number, invoices)
    if present:
        example = next(iter(present))
        raise OnlineRetailError(
            f"{path.name} looks imported already: {len(present)} of its {len(invoices)} "
            f"invoices are orders in the database (e.g. {example}); import into an empty "
            "database or delete those orders first"
        )


def _write_customers(session: Session, parsed: _Parsed, report: ImportReport) -> dict[str, int]:
    refs = list(parsed.countries)
    ids = _existing(session, Customer.external_ref, refs)  # from an earlier, other file
    rows: list[dict[str, Any]] = []
    first = next_id(session, Customer.__table__)
    for ref in refs:
        if ref in ids:
            continue
        ids[ref] = first + len(rows)
        rows.append(
            {
                "id": ids[ref],
                "external_ref": ref,
                "email": f"customer-{ref.lower()}@example.com",
                "first_name": None,
                "last_name": None,
                "country": parsed.countries[ref].most_common(1)[0][0],
                "city": None,
                "created_at": parsed.customer_since[ref],
                # Consent is unknown for imported customers, so no marketing.
                "marketing_consent": False,
                "email_opt_in": False,
                "sms_opt_in": False,
                "offers_opt_out": False,
                "preferred_channel": None,
                "preferences": {},
                "tags": {},
            }
        )
    report.customers = insert_rows(session, Customer.__table__, rows)
    return ids


def _write_products(session: Session, parsed: _Parsed, report: ImportReport) -> dict[str, int]:
    codes = list(parsed.product_since)
    ids = _existing(session, Product.sku, codes)
    rows: list[dict[str, Any]] = []
    first = next_id(session, Product.__table__)
    for code in codes:
        if code in ids:
            continue
        seen = parsed.descriptions.get(code)
        text = seen.most_common(1)[0][0] if seen else ""
        title = string.capwords(text.lower()) if text else f"Stock item {code}"
        ids[code] = first + len(rows)
        rows.append(
            {
                "id": ids[code],
                "sku": code,
                "title": title,
                "description": "",
                "category": category_for(text),
                "colour": colour_for(text),
                # Sale prices when there are any; a credit note alone still tells the price.
                "price": round(
                    statistics.median(parsed.sale_prices.get(code) or parsed.credit_prices[code]), 2
                ),
                # The file has no stock levels; a stable made-up level keeps items buyable.
                "stock": 1 + zlib.crc32(code.encode()) % 250,
                "created_at": parsed.product_since[code],
            }
        )
    report.products = insert_rows(session, Product.__table__, rows)
    return ids


def _shipment(invoice: str, head: _Invoice, order_id: int, row_id: int) -> dict[str, Any]:
    """A delivery made up from the invoice number, so re-imports give the same one."""
    h = zlib.crc32(invoice.encode())
    digits = str(int(hashlib.sha1(invoice.encode()).hexdigest(), 16))
    if head.country != UK:
        carrier, tracking, transit = "DHL", digits[:10], 4
    else:
        carrier = ("Royal Mail", "DPD", "Evri")[h % 3]
        transit = {"Royal Mail": 2, "DPD": 1, "Evri": 3}[carrier]
        tracking = {
            "Royal Mail": f"RM{digits[:9]}GB",
            "DPD": f"155{digits[:11]}",
            "Evri": f"H{digits[:15]}",
        }[carrier]
    day = datetime.combine(head.placed_at.date(), datetime.min.time())
    shipped = day + timedelta(days=1, hours=14 + (h >> 4) % 4)
    estimated = day + timedelta(days=1 + transit, hours=18)
    delivered = day + timedelta(days=1 + transit - (h >> 8) % 2, hours=9 + (h >> 12) % 9)
    return {
        "id": row_id,
        "order_id": order_id,
        "carrier": carrier,
        "tracking_number": tracking,
        "shipped_at": shipped,
        "estimated_delivery": estimated,
        "delivered_at": delivered,
    }


def _write_orders(
    session: Session,
    parsed: _Parsed,
    customers: dict[str, int],
    products: dict[str, int],
    report: ImportReport,
) -> None:
    order_ids: dict[str, int] = {}
    orders: list[dict[str, Any]] = []
    shipments: list[dict[str, Any]] = []
    first_order = next_id(session, Order.__table__)
    first_shipment = next_id(session, Shipment.__table__)
    for invoice, head in parsed.invoices.items():
        order_ids[invoice] = first_order + len(orders)
        customer_id = customers.get(head.customer) if head.customer else None
        email = (
            f"customer-{head.customer.lower()}@example.com"
            if head.customer
            else f"guest-{invoice.lower()}@example.net"
        )
        orders.append(
            {
                "id": order_ids[invoice],
                "number": invoice,
                "customer_id": customer_id,
                "email": email,
                "status": "cancelled" if head.credit else "delivered",
                "placed_at": head.placed_at,
                "cancelled_at": head.placed_at if head.credit else None,
                "total": round(head.total, 2),
                "currency": "GBP",
                "country": head.country,
                "coupon_code": None,
                "kind": "credit_note" if head.credit else "order",
            }
        )
        if head.credit:
            report.credit_notes += 1
            continue
        report.orders += 1
        report.guest_orders += customer_id is None
        shipments.append(
            _shipment(invoice, head, order_ids[invoice], first_shipment + len(shipments))
        )
    insert_rows(session, Order.__table__, orders)
    report.shipments = insert_rows(session, Shipment.__table__, shipments)
    first_line = next_id(session, OrderLine.__table__)
    insert_rows(
        session,
        OrderLine.__table__,
        (
            {
                "id": first_line + n,
                "order_id": order_ids[invoice],
                "product_id": products[code],
                "quantity": qty,
                "unit_price": price,
            }
            for n, (invoice, code, qty, price) in enumerate(parsed.lines)
        ),
    )
