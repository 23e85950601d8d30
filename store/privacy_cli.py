"""The personal-data commands of ``python -m store``: forget, export-customer, retention.

    python -m store forget --customer 42
    python -m store export-customer 42 [--out anna.json]
    python -m store retention --guest-days 30 --days 365

The tracker store is ``CONCIERGE_TRACKER_DB_URL`` (default ``var/tracker.db``) unless
``--tracker-db-url`` names another; ``forget`` also scrubs the services' log files under
``var/logs``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from concierge.settings import Settings
from store.customer_export import export_customer
from store.db import make_engine, make_session_factory
from store.erasure import UnknownCustomer, forget_customer
from store.retention import apply_retention
from store.tracker_store import TrackerStore

# The audit log names who erased; from the command line that is the operator's shell.
CLI_ACTOR = "command line"


def _customer_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a customer id is a positive whole number, got {text!r}")
    return value


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of days, at least 1, got {text!r}")
    return value


def _tracker(args: argparse.Namespace, settings: Settings) -> TrackerStore:
    return TrackerStore(args.tracker_db_url or settings.tracker_db_url)


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    """Erase or anonymise everything held about one customer."""
    sessions = make_session_factory(make_engine(args.db_url))
    tracker = _tracker(args, settings)
    try:
        report = forget_customer(
            sessions,
            tracker,
            args.customer,
            actor=CLI_ACTOR,
            log_dir=settings.var_dir / "logs",
        )
    except UnknownCustomer as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        tracker.close()
    print(f"Customer {args.customer} forgotten ({report.reference} in the audit log):")
    for table, count in sorted(report.rows.items()):
        print(f"  {table:<22} {count:>8}")
    print(
        f"  tracker events         {report.tracker_events:>8}  ({report.sender_ids} conversations)"
    )
    print(f"  log lines scrubbed     {report.log_lines:>8}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write everything held about one customer as JSON."""
    sessions = make_session_factory(make_engine(args.db_url))
    tracker = _tracker(args, settings)
    try:
        document = export_customer(sessions, tracker, args.customer_id)
    except UnknownCustomer as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        tracker.close()
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text + "\n", encoding="utf-8")
        args.out.chmod(0o600)  # personal data: readable by its owner only
        print(f"Written to {args.out}", file=sys.stderr)
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    """Delete old guest conversations and old trackers."""
    sessions = make_session_factory(make_engine(args.db_url))
    tracker = _tracker(args, settings)
    try:
        report = apply_retention(sessions, tracker, guest_days=args.guest_days, days=args.days)
    finally:
        tracker.close()
    print(
        f"Retention: guest conversations older than {args.guest_days} days, "
        f"everything older than {args.days} days:"
    )
    for table, count in sorted(report.rows.items()):
        print(f"  {table:<22} {count:>8}")
    print(
        f"  tracker events         {report.tracker_events:>8}  "
        f"({report.trackers} whole conversations)"
    )
    return 0


def add_commands(commands: Any) -> None:
    """Add forget, export-customer and retention to ``python -m store``'s sub-parsers."""
    tracker_help = "SQLAlchemy URL of Rasa's tracker store (default: CONCIERGE_TRACKER_DB_URL)"

    forget = commands.add_parser(
        "forget", help="erase or anonymise everything about one customer (GDPR art. 17)"
    )
    forget.add_argument("--customer", type=_customer_id, required=True, metavar="ID")
    forget.add_argument("--tracker-db-url", help=tracker_help)
    forget.set_defaults(run=cmd_forget)

    export = commands.add_parser(
        "export-customer", help="write everything held about one customer as JSON (art. 15)"
    )
    export.add_argument("customer_id", type=_customer_id, metavar="ID")
    export.add_argument("--out", type=Path, help="write to this file (default: standard output)")
    export.add_argument("--tracker-db-url", help=tracker_help)
    export.set_defaults(run=cmd_export)

    retention = commands.add_parser(
        "retention", help="delete old guest conversations and old trackers"
    )
    retention.add_argument(
        "--guest-days",
        type=_days,
        required=True,
        metavar="N",
        help="delete guest conversations idle for more than N days",
    )
    retention.add_argument(
        "--days",
        type=_days,
        required=True,
        metavar="M",
        help="delete any conversation transcript older than M days",
    )
    retention.add_argument("--tracker-db-url", help=tracker_help)
    retention.set_defaults(run=cmd_retention)
