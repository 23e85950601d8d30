"""The UCI Online Retail importer, on the real file and on a hand-written one."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from store.bulk_insert import row_counts
from store.importer import OnlineRetailError, import_online_retail
from tests.factories import migrated_store, sqlite_url

ROOT = Path(__file__).resolve().parents[2]
ONLINE_RETAIL = ROOT / ".." / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
needs_online_retail = pytest.mark.skipif(
    not ONLINE_RETAIL.exists(),
    reason=f"the UCI Online Retail file is not at {ONLINE_RETAIL.resolve()} "
    "(the shared data folder next to the repository)",
)

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
# One line per odd case; the comment after each says what the importer must make of it.
ODD_CASES = [
    "600001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-01-03 09:00:00,2.55,12346,United Kingdom",  # sale
    "600001,85123a,WHITE HEART T-LIGHT,2,2011-01-03 09:00:00,2.95,12346.0,United Kingdom",  # same product, lower-case code, id with .0
    "600001,POST,POSTAGE,1,2011-01-03 09:00:00,18.00,12346,United Kingdom",  # non-product
    "600002,22423,REGENCY CAKESTAND 3 TIER,1,2011-01-04 10:00:00,12.75,,United Kingdom",  # guest sale
    "600002,22423,,2,2011-01-04 10:00:00,12.75,,United Kingdom",  # guest sale, blank description
    "600003,22423,REGENCY CAKESTAND 3 TIER,1,2011-01-05 11:00:00,10.95,12347,Iceland",  # sale abroad
    "600003,22423,REGENCY CAKESTAND 3 TIER,1,2011-01-05 10:30:00,10.95,12347,Iceland",  # earlier time, same invoice
    "C600004,22423,REGENCY CAKESTAND 3 TIER,-1,2011-01-06 12:00:00,12.75,12347,Iceland",  # cancellation
    "C600004,D,Discount,-1,2011-01-06 12:00:00,5.00,12347,Iceland",  # discount: non-product
    "C600005,22423,REGENCY CAKESTAND 3 TIER,3,2011-01-06 12:00:00,12.75,12347,Iceland",  # credit note, positive qty
    "600006,21777,damaged,-30,2011-01-07 08:00:00,0.00,,United Kingdom",  # stock write-off
    "600007,21778,ROSE BATHROOM BOTTLE,5,2011-01-07 08:00:00,0.00,12348,United Kingdom",  # zero price
    "A600008,B,Adjust bad debt,1,2011-01-07 08:00:00,-11062.06,,United Kingdom",  # negative price
    "600009,21779,SNACK BOX,0,2011-01-07 08:00:00,1.25,12348,United Kingdom",  # zero quantity
    "600010,GIFT_0001_20,Dotcomgiftshop Gift Voucher £20.00,1,2011-01-07 08:00:00,17.02,,United Kingdom",  # voucher
    "600011,21780,FLOWER POT,lots,2011-01-07 08:00:00,1.25,12348,United Kingdom",  # bad quantity
    "600011,21780,FLOWER POT,1,07/01/2011 08:00,1.25,12348,United Kingdom",  # bad date
    "600011,21780,FLOWER POT",  # short row
    "600012,90001,,4,2011-01-08 08:00:00,3.10,12348,United Kingdom",  # only ever blank description
    "600012,85123A,WHITE HEART T-LIGHT,1,2011-01-08 08:00:00,2.95,12348,United Kingdom",  # sale
]


def _write_csv(path: Path, lines: list[str], gzipped: bool = False) -> Path:
    content = HEADER + "\n".join(lines) + "\n"
    if gzipped:
        path.write_bytes(gzip.compress(content.encode("utf-8")))
    else:
        path.write_text(content, encoding="utf-8")
    return path


def rows(sessions: sessionmaker[Session], sql: str, **params: Any) -> list[Any]:
    with sessions() as session:
        return list(session.execute(text(sql), params))


def _order(sessions: sessionmaker[Session], number: str) -> Any:
    found = rows(
        sessions,
        "SELECT o.*, c.external_ref, "
        "(SELECT COUNT(*) FROM shipments s WHERE s.order_id = o.id) AS shipments "
        "FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
        "WHERE o.number = :n",
        n=number,
    )
    assert len(found) == 1, number
    return found[0]


def _lines(sessions: sessionmaker[Session], number: str) -> list[Any]:
    return rows(
        sessions,
        "SELECT p.sku, p.title, p.category, l.quantity, l.unit_price "
        "FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "JOIN products p ON p.id = l.product_id WHERE o.number = :n "
        "ORDER BY l.id",
        n=number,
    )


def test_every_odd_line_is_imported_or_skipped_for_a_named_reason(tmp_path):
    sessions = migrated_store(tmp_path)
    report = import_online_retail(_write_csv(tmp_path / "odd.csv", ODD_CASES), sessions)

    assert report.lines_read == len(ODD_CASES) and report.adds_up()
    assert (report.order_lines, report.guest_lines, report.cancellation_lines) == (6, 2, 1)
    assert report.skipped == {
        "malformed": 3,
        "negative_quantity_outside_credit_note": 1,
        "positive_quantity_in_credit_note": 1,
        "zero_quantity": 1,
        "negative_price": 1,
        "zero_price": 1,
        "non_product_code": 3,
    }
    assert report.lines_without_description == 2
    assert (report.customers, report.products) == (3, 3)
    assert (report.orders, report.guest_orders, report.credit_notes, report.shipments) == (
        4,
        1,
        1,
        4,
    )
    assert row_counts_of(sessions) == {
        "customers": 3,
        "products": 3,
        "orders": 5,
        "order_lines": 9,
        "shipments": 4,
    }


def row_counts_of(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        counts = row_counts(session)
    return {k: counts[k] for k in ("customers", "products", "orders", "order_lines", "shipments")}


def test_odd_lines_become_the_right_orders_customers_and_products(tmp_path):
    sessions = migrated_store(tmp_path)
    import_online_retail(_write_csv(tmp_path / "odd.csv.gz", ODD_CASES, gzipped=True), sessions)

    sale = _order(sessions, "600001")
    assert (sale.external_ref, sale.email, sale.status, sale.kind, sale.total) == (
        "12346",
        "customer-12346@example.com",
        "delivered",
        "order",
        21.2,
    )
    assert [(line.sku, line.quantity) for line in _lines(sessions, "600001")] == [
        ("85123A", 6),
        ("85123A", 2),
    ]  # the lower-case code is the same product; no postage

    guest = _order(sessions, "600002")
    assert guest.customer_id is None and guest.email == "guest-600002@example.net"
    assert guest.total == 38.25 and guest.shipments == 1

    abroad = _order(sessions, "600003")
    assert datetime.fromisoformat(str(abroad.placed_at)) == datetime(2011, 1, 5, 10, 30)
    assert abroad.country == "Iceland"

    credit = _order(sessions, "C600004")
    assert (credit.kind, credit.status, credit.total, credit.shipments) == (
        "credit_note",
        "cancelled",
        -12.75,
        0,
    )
    assert credit.cancelled_at == credit.placed_at
    assert [(line.sku, line.quantity) for line in _lines(sessions, "C600004")] == [("22423", -1)]

    products = {p.sku: p for p in rows(sessions, "SELECT * FROM products")}
    assert products["85123A"].title == "White Heart T-light"  # the more frequent description
    assert products["85123A"].category == "lighting" and products["85123A"].colour == "White"
    assert products["85123A"].price == 2.95  # median of 2.55, 2.95 and 2.95
    assert products["22423"].price == 11.85 and products["22423"].category == "kitchen"
    assert products["90001"].title == "Stock item 90001"
    assert all(p.stock > 0 for p in products.values())
    customers = {c.external_ref: c for c in rows(sessions, "SELECT * FROM customers")}
    assert sorted(customers) == ["12346", "12347", "12348"]
    assert customers["12347"].country == "Iceland" and not customers["12347"].marketing_consent


def test_file_without_the_online_retail_columns_is_refused_naming_them(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text("Invoice,StockCode,Quantity\n1,2,3\n", encoding="utf-8")
    with pytest.raises(OnlineRetailError, match="missing column.*InvoiceNo.*Description"):
        import_online_retail(bad, migrated_store(tmp_path))
    with pytest.raises(OnlineRetailError, match="no Online Retail file"):
        import_online_retail(tmp_path / "absent.csv", migrated_store(tmp_path))


@pytest.fixture(scope="module")
def first_5000(tmp_path_factory: pytest.TempPathFactory):
    if not ONLINE_RETAIL.exists():
        pytest.skip(f"the UCI Online Retail file is not at {ONLINE_RETAIL.resolve()}")
    sessions = migrated_store(tmp_path_factory.mktemp("retail"))
    return import_online_retail(ONLINE_RETAIL, sessions, limit=5000), sessions


@needs_online_retail
def test_first_5000_real_lines_add_up_with_cancellations_and_guests_counted(first_5000):
    report, sessions = first_5000
    assert report.lines_read == 5000 and report.adds_up()
    # Counted independently from the file with a spreadsheet-style filter.
    assert (report.order_lines, report.guest_lines, report.cancellation_lines) == (3718, 1191, 69)
    assert report.skipped["zero_price"] == 10 and report.skipped["non_product_code"] == 10
    assert report.skipped["negative_quantity_outside_credit_note"] == 2
    assert report.orders == 258
    stored = rows(
        sessions,
        "SELECT kind, customer_id IS NULL AS guest, COUNT(*) AS n "
        "FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "GROUP BY kind, guest ORDER BY kind, guest",
    )
    assert [(r.kind, bool(r.guest), r.n) for r in stored] == [
        ("credit_note", False, 69),
        ("order", False, 3718),
        ("order", True, 1191),
    ]


@needs_online_retail
def test_hand_checked_invoice_536365_has_its_seven_lines_and_total(first_5000):
    _, sessions = first_5000
    order = _order(sessions, "536365")
    assert (order.external_ref, order.status, order.kind, order.total, order.country) == (
        "17850",
        "delivered",
        "order",
        139.12,
        "United Kingdom",
    )
    assert str(order.placed_at).startswith("2010-12-01 08:26:00")
    assert [(line.sku, line.quantity, line.unit_price) for line in _lines(sessions, "536365")] == [
        ("85123A", 6, 2.55),
        ("71053", 6, 3.39),
        ("84406B", 8, 2.75),
        ("84029G", 6, 3.39),
        ("84029E", 6, 3.39),
        ("22752", 2, 7.65),
        ("21730", 6, 4.25),
    ]
    shipment = rows(
        sessions,
        "SELECT s.* FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.number = '536365'",
    )
    assert len(shipment) == 1 and shipment[0].carrier in ("Royal Mail", "DPD", "Evri")
    credit = _order(sessions, "C536383")
    assert (credit.kind, credit.status, credit.total, credit.external_ref) == (
        "credit_note",
        "cancelled",
        -4.65,
        "15311",
    )


@needs_online_retail
def test_importing_the_same_lines_twice_is_refused_and_adds_nothing(first_5000):
    _, sessions = first_5000
    before = row_counts_of(sessions)
    with pytest.raises(OnlineRetailError, match="imported already: 286 of its 286 invoices"):
        import_online_retail(ONLINE_RETAIL, sessions, limit=5000)
    assert row_counts_of(sessions) == before


@needs_online_retail
def test_whole_file_imports_completely_within_two_minutes(tmp_path):
    sessions = migrated_store(tmp_path)
    report = import_online_retail(ONLINE_RETAIL, sessions)
    assert report.lines_read == 541_909 and report.adds_up()
    assert report.seconds < 120
    counts = row_counts_of(sessions)
    assert counts["order_lines"] == report.imported_lines
    assert counts["orders"] == report.orders + report.credit_notes
    # The file's 4,372 customers, less those whose every line was skipped.
    assert 4300 < report.customers <= 4372 and report.credit_notes > 3000


def test_cli_imports_a_file_and_reports_the_counts(tmp_path):
    csv_path = _write_csv(tmp_path / "odd.csv", ODD_CASES)
    env = {
        **os.environ,
        "CONCIERGE_VAR_DIR": str(tmp_path / "var"),
        "CONCIERGE_DB_URL": sqlite_url(tmp_path, "cli.db"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "store", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = cli("import-online-retail", str(csv_path), "--limit", "8")
    assert done.returncode == 0, done.stderr
    assert "Lines read: 8" in done.stdout and "non_product_code" in done.stdout
    again = cli("import-online-retail", str(csv_path))
    assert again.returncode == 1 and "imported already" in again.stderr
    missing = cli("import-online-retail", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "no Online Retail file" in missing.stderr
    stats = cli("stats")
    assert "order_lines" in stats.stdout and stats.returncode == 0
