"""Read the UCI Online Retail invoice file: rows, what each line is, invoices and customers.

The importer (``store/importer.py``) writes what this module parses. Every line read is
accounted for: imported, or skipped and counted by reason (``SKIP_REASONS``).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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
class Invoice:
    placed_at: datetime
    customer: str
    country: str
    credit: bool
    total: float = 0.0
    lines: int = 0


@dataclass
class ParsedFile:
    """Everything the single pass over the file collects."""

    invoices: dict[str, Invoice] = field(default_factory=dict)
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


def parse_file(path: Path, limit: int | None, report: ImportReport) -> ParsedFile:
    """Read ``path`` (its first ``limit`` lines), counting skipped lines in ``report``."""
    parsed = ParsedFile()
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
            head = parsed.invoices[invoice] = Invoice(placed, customer, country, credit)
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
