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

import hashlib
import statistics
import string
import time
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.bulk_insert import advance_id_sequences, insert_rows, next_id
from store.keyword_categories import category_for, colour_for
from store.models import Customer, Order, OrderLine, Product, Shipment
from store.online_retail_reader import (
    UK,
    ImportReport,
    Invoice,
    OnlineRetailError,
    ParsedFile,
    parse_file,
)

__all__ = ["ImportReport", "OnlineRetailError", "import_online_retail"]


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
    parsed = parse_file(path, limit, report)
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


def _write_customers(session: Session, parsed: ParsedFile, report: ImportReport) -> dict[str, int]:
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


def _write_products(session: Session, parsed: ParsedFile, report: ImportReport) -> dict[str, int]:
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


def _shipment(invoice: str, head: Invoice, order_id: int, row_id: int) -> dict[str, Any]:
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
    parsed: ParsedFile,
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
