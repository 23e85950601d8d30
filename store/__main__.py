"""The store's command line: migrate, generate demo data, import Online Retail, count rows.

    python -m store init
    python -m store generate [--seed 7] [--customers 3000] [--force]
    python -m store import-online-retail ../shared/data/online_retail/online_retail.csv.gz
    python -m store stats
    python -m store forget --customer ID            (store/privacy_cli.py)
    python -m store export-customer ID [--out FILE]
    python -m store retention --guest-days N --days M
    python -m store link-code --email E | --customer ID   (store/link_cli.py)

The database is ``CONCIERGE_DB_URL`` (default ``var/concierge.db``) unless ``--db-url``
names another one.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from concierge.settings import Settings, exits_on_settings_error
from store.bulk_insert import row_counts
from store.db import make_engine, make_session_factory, upgrade
from store.importer import ImportReport, OnlineRetailError, import_online_retail
from store.link_cli import add_commands as add_link_commands
from store.privacy_cli import add_commands as add_privacy_commands

if TYPE_CHECKING:
    from demo_shop.generator import GenerationReport

FIXTURES_FILE = "demo_fixtures.json"


def _progress(message: str) -> None:
    print(f"  … {message}", flush=True)


def fixtures_path(db_url: str, settings: Settings) -> Path:
    """Where the demo fixtures JSON goes: next to a SQLite file, else in the var folder."""
    url = make_url(db_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        return Path(database).expanduser().resolve().parent / FIXTURES_FILE
    return settings.var_dir / FIXTURES_FILE


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--now must be an ISO date or date-time such as 2025-06-30T12:00, got {text!r}"
        ) from exc
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _current_hour() -> datetime:
    # The demo's orders end "now", so that return windows and "in transit" are true today;
    # rounding to the hour keeps two runs within the same hour identical.
    return datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate the database to the latest schema."""
    upgrade(args.db_url)
    print(f"Database {_shown(args.db_url)} is at the latest schema.")
    return 0


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, then fill the database with seeded demo data."""
    # Imported here: the demo shop is a package of its own that product code never needs.
    from demo_shop.generator import GenerationRefused, generate, write_fixtures_file

    upgrade(args.db_url)
    now = args.now or _current_hour()
    print(
        f"Generating demo data into {_shown(args.db_url)} (seed {args.seed}, "
        f"{args.customers} customers, {args.products} products, {args.days} days to {now})"
    )
    try:
        report = generate(
            make_session_factory(make_engine(args.db_url)),
            seed=args.seed,
            customers=args.customers,
            products=args.products,
            days=args.days,
            now=now,
            replace=args.force,
            progress=_progress,
        )
    except GenerationRefused as exc:
        if args.if_missing:
            print("The shop database already holds data; keeping it (make clean to start over).")
            return 0
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    path = write_fixtures_file(report, fixtures_path(args.db_url, settings))
    _print_generation(report, path)
    return 0


def _print_generation(report: GenerationReport, fixtures_file: Path) -> None:
    print(f"Done in {report.seconds:.1f} s:")
    for table, count in report.counts().items():
        print(f"  {table:<12} {count:>8}")
    statuses = ", ".join(f"{s} {n}" for s, n in report.orders_by_status.items())
    print(f"  orders by status: {statuses}; guest checkouts: {report.guest_orders}")
    print("Demo customers and orders:")
    for who, person in report.fixture_customers.items():
        names = [f"{k} {v}" for k, v in report.fixtures.items() if k.startswith(who)]
        print(f"  {person['name']} <{person['email']}>: {', '.join(names)}")
    for name, number in report.fixture_returns.items():
        print(f"  {name}: {number}")
    print(f"Written to {fixtures_file}")


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, then import an Online Retail CSV file."""
    if not args.path.is_file():
        print(f"error: no Online Retail file at {args.path}", file=sys.stderr)
        return 1
    upgrade(args.db_url)
    print(
        f"Importing {args.path} into {_shown(args.db_url)}"
        + (f" (first {args.limit} lines)" if args.limit else "")
    )
    try:
        report = import_online_retail(
            args.path,
            make_session_factory(make_engine(args.db_url)),
            limit=args.limit,
            progress=_progress,
        )
    except OnlineRetailError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _print_import(report)
    return 0


def _print_import(report: ImportReport) -> None:
    print(f"Done in {report.seconds:.1f} s. Lines read: {report.lines_read}")
    print(
        f"  imported     {report.imported_lines:>8}  (customer sales {report.order_lines}, "
        f"guest sales {report.guest_lines}, cancellations {report.cancellation_lines})"
    )
    print(f"  skipped      {report.skipped_lines:>8}")
    for reason, count in report.skipped.items():
        if count:
            print(f"    {reason:<40} {count:>8}")
    print(
        f"  customers {report.customers}, products {report.products}, orders {report.orders} "
        f"({report.guest_orders} guest), credit notes {report.credit_notes}, "
        f"shipments {report.shipments}"
    )
    if report.lines_without_description:
        print(f"  imported lines without a description: {report.lines_without_description}")


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Print the row count of every shop table."""
    url = make_url(args.db_url)
    missing_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if missing_file and not Path(url.database or "").expanduser().exists():
        print(
            f"error: there is no database file at {url.database}; run `python -m store init`",
            file=sys.stderr,
        )
        return 1
    engine = make_engine(args.db_url)
    if not inspect(engine).has_table("customers"):
        print(
            f"error: {_shown(args.db_url)} has no shop tables yet; run `python -m store init`",
            file=sys.stderr,
        )
        return 1
    with make_session_factory(engine)() as session:
        counts = row_counts(session)
    print(f"Rows in {_shown(args.db_url)}:")
    for table, count in counts.items():
        print(f"  {table:<18} {count:>8}")
    return 0


def _shown(db_url: str) -> str:
    return make_url(db_url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m store``."""
    parser = argparse.ArgumentParser(prog="python -m store", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db-url",
        help="SQLAlchemy URL of the shop database (default: CONCIERGE_DB_URL or var/concierge.db)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create or migrate the schema").set_defaults(run=cmd_init)

    gen = commands.add_parser("generate", help="migrate, then generate seeded demo data")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--customers", type=_positive, default=3000)
    gen.add_argument("--products", type=_positive, default=300)
    gen.add_argument("--days", type=_positive, default=365)
    gen.add_argument(
        "--now",
        type=_timestamp,
        default=None,
        help="end of the simulated period, UTC (default: the current hour; "
        "the tests use demo_shop.generator.DEFAULT_NOW)",
    )
    gen.add_argument(
        "--force",
        action="store_true",
        help="replace the contents of a database that already holds data",
    )
    gen.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing (and succeed) when the database already holds data",
    )
    gen.set_defaults(run=cmd_generate)

    imp = commands.add_parser(
        "import-online-retail", help="import the UCI Online Retail CSV (plain or gzipped)"
    )
    imp.add_argument("path", type=Path)
    imp.add_argument("--limit", type=_positive, default=None, help="read only the first N lines")
    imp.set_defaults(run=cmd_import)

    commands.add_parser("stats", help="row counts per table").set_defaults(run=cmd_stats)
    add_privacy_commands(commands)
    add_link_commands(commands)
    return parser


@exits_on_settings_error
def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    settings = Settings.from_env()
    args = build_parser().parse_args(argv)
    args.db_url = args.db_url or settings.db_url
    started = time.perf_counter()
    code = args.run(args, settings)
    # The export's JSON may go to standard output: nothing may follow it there.
    if code == 0 and args.command not in ("stats", "export-customer"):
        print(f"({time.perf_counter() - started:.1f} s in total)")
    return code


if __name__ == "__main__":
    sys.exit(main())
