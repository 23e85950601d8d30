"""``python -m promotions``: the marketer's command line.

list | show KEY | preview --customer ID | validate FILE... | simulate [--policies] | results |
import FILE... | export DIR | redemptions | demo | outreach run [--dry-run]. The database is
the one of ``concierge.settings`` (``CONCIERGE_DB_URL``) unless ``--db`` names another; its
schema is brought up to date first. ``outreach run`` also reads the SMTP and Telegram settings and
``CONSOLE_SECRET`` (which signs unsubscribe links) from the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings, exits_on_settings_error
from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import CampaignError, money
from promotions.coupons import scan_redemptions
from promotions.decision import OfferContext
from promotions.files import read_campaign_file, write_campaign_dir
from promotions.profiles import load_profile
from promotions.report import format_results, table
from promotions.repository import PromotionRepository, UnknownCampaign
from promotions.results import campaign_results
from promotions.service import PromotionService
from promotions.simulate import default_contexts, simulate_store, summarise
from promotions.triggers import CHAT_TRIGGERS, TRIGGERS
from promotions.uplift_report import format_report, load_policy_inputs, policy_report
from store.db import make_engine, make_session_factory, upgrade, utcnow


class UsageError(Exception):
    """A mistake on the command line, reported without a traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m promotions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--db", help="database URL (default: CONCIERGE_DB_URL / var/concierge.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="campaigns with status, priority, triggers and coupons issued")
    show = sub.add_parser("show", help="one campaign in full (as YAML)")
    show.add_argument("key")
    preview = sub.add_parser(
        "preview", help="what a customer would be offered now (records nothing)"
    )
    preview.add_argument("--customer", type=int, required=True, help="customer id")
    _context_options(preview)
    validate = sub.add_parser("validate", help="check campaign files without saving them")
    validate.add_argument("files", nargs="+", type=Path)
    simulate = sub.add_parser(
        "simulate", help="run the decision over every customer (records nothing)"
    )
    _context_options(simulate)
    simulate.add_argument("--csv", type=Path, help="write one row per customer and trigger")
    simulate.add_argument(
        "--policies",
        action="store_true",
        help="instead: incremental orders per coupon when offering everyone, the top share by "
        "propensity, or the same share by uplift (true on the demo shop, and from the logs)",
    )
    simulate.add_argument(
        "--share", type=float, default=0.3, help="the top share for --policies (default 0.3)"
    )
    results = sub.add_parser("results", help="per campaign and variant: conversion, lift, checks")
    results.add_argument("--json", action="store_true", help="machine-readable output")
    imp = sub.add_parser("import", help="validate and save campaign files (replaces same keys)")
    imp.add_argument("files", nargs="+", type=Path)
    export = sub.add_parser("export", help="write every campaign (and the settings) as YAML")
    export.add_argument("folder", type=Path)
    sub.add_parser("redemptions", help="mark coupons redeemed by orders carrying their codes")
    demo = sub.add_parser("demo", help="load the sample campaigns and simulate their history")
    demo.add_argument("--seed", type=int, default=7)
    outreach = sub.add_parser(
        "outreach", help="proactive campaigns: reach customers by e-mail or Telegram"
    )
    outreach_sub = outreach.add_subparsers(dest="outreach_command", required=True)
    run = outreach_sub.add_parser(
        "run", help="choose, record and send this run's messages (each exactly once)"
    )
    run.add_argument(
        "--dry-run", action="store_true", help="say what would be queued; record and send nothing"
    )
    return parser


def _context_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trigger", choices=TRIGGERS, action="append", help="default: every chat moment"
    )
    parser.add_argument("--product", help="product title for product moments")
    parser.add_argument("--price", type=float, help="product price for product moments")
    parser.add_argument("--at", type=datetime.fromisoformat, help="pretend it is this time (ISO)")


@exits_on_settings_error
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.files)
        url = args.db or Settings.from_env().db_url
        upgrade(url)
        engine = make_engine(url)
        try:
            return COMMANDS[args.command](make_session_factory(engine), args)
        finally:
            engine.dispose()
    except (UsageError, UnknownCampaign) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except CampaignError as exc:
        _print_problems(exc)
        return 1


def _print_problems(exc: CampaignError) -> None:
    print(f"{exc.source}: {len(exc.problems)} problem(s)", file=sys.stderr)
    for problem in exc.problems:
        print(f"  - {problem}", file=sys.stderr)


def _validate(files: list[Path]) -> int:
    status = 0
    for path in files:
        try:
            found = read_campaign_file(path)
        except CampaignError as exc:
            _print_problems(exc)
            status = 1
            continue
        keys = ", ".join(c.key for c in found.campaigns) or "no campaigns"
        extra = " + global settings" if found.settings else ""
        print(f"{path}: OK ({keys}{extra})")
    return status


def _list(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    repo = PromotionRepository(sessions)
    issued = repo.coupons_issued()
    rows = [
        (
            c.key,
            c.status,
            str(c.priority),
            ",".join(c.triggers),
            f"{c.control_share:.0%}",
            ",".join(v.key for v in c.variants),
            f"{issued.get(c.key, 0)}/{c.coupon_budget if c.coupon_budget is not None else '∞'}",
        )
        for c in repo.campaigns()
    ]
    if not rows:
        print(
            "no campaigns yet — import some: python -m promotions import promotions/campaigns/*.yml"
        )
        return 0
    print(table(("key", "status", "prio", "triggers", "control", "variants", "coupons"), rows))
    s = repo.settings()
    print(
        f"\nglobal: hold-out {s.holdout_share:.0%}, at most {s.max_offers_per_day}/day and "
        f"{s.max_offers_per_week}/week per customer, attribution {s.attribution_days} days"
    )
    return 0


def _show(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    campaign = PromotionRepository(sessions).campaign(args.key)
    print(
        yaml.safe_dump(campaign_to_dict(campaign), sort_keys=False, allow_unicode=True, width=100)
    )
    return 0


def _preview(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    now = args.at or utcnow()
    profile = load_profile(sessions, args.customer, now)
    if profile is None:
        raise UsageError(f"no customer with id {args.customer}")
    print(
        f"customer {profile.customer_id} ({profile.first_name or 'no name'}): "
        f"segment={profile.segment} lifecycle={profile.lifecycle_stage} "
        f"propensity={profile.propensity_band} orders={profile.orders_count} "
        f"spent={money(profile.total_spent)} days_since_last_order={profile.days_since_last_order} "
        f"country={profile.country} consent={profile.consent} opted_out={profile.opted_out}"
    )
    service = PromotionService(sessions)
    for context in _contexts(sessions, args):
        result = service.preview(args.customer, context, now)
        d = result.decision
        chosen = f" {d.campaign_key}/{d.variant_key or '-'}" if d.campaign_key else ""
        print(f"\n[{context.trigger}] {d.outcome}{chosen} ({d.reason})")
        for key, reason in d.passed_over:
            print(f"    passed over {key}: {reason}")
        if result.text:
            print(f"    message: {result.text}")
            print(
                "    buttons: "
                + " | ".join(f"{b['title']} -> {b['payload']}" for b in result.buttons)
            )
    return 0


def _contexts(sessions: sessionmaker[Session], args: argparse.Namespace) -> list[OfferContext]:
    if (args.product is None) != (args.price is None):
        raise UsageError("give --product and --price together")
    return default_contexts(sessions, args.trigger or CHAT_TRIGGERS, args.product, args.price)


def _simulate(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    if args.policies:
        return _policies(sessions, args.share)
    now = args.at or utcnow()
    contexts = _contexts(sessions, args)
    rows = simulate_store(sessions, now, contexts)
    customers = len({r.customer_id for r in rows})
    print(f"{customers} customers x {len(contexts)} moment(s) as of {now:%Y-%m-%d %H:%M}")
    for trigger, counter in summarise(rows).items():
        print(f"\n[{trigger}]")
        ranked = counter.most_common()
        # Outcomes first, then why campaigns were passed over.
        for label, count in sorted(ranked, key=lambda item: item[0].startswith(" ")):
            print(f"  {count:6d}  {label}")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with args.csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=list(asdict(rows[0])) if rows else ["customer_id"]
            )
            writer.writeheader()
            writer.writerows(asdict(r) for r in rows)
        print(f"\nwrote {len(rows)} rows to {args.csv}")
    return 0


def _policies(sessions: sessionmaker[Session], share: float) -> int:
    if not 0.0 < share <= 1.0:
        raise UsageError(f"--share must be above 0 and at most 1, got {share}")
    customers, exposures = load_policy_inputs(sessions)
    if not customers:
        raise UsageError(
            "no offerable customer has both a propensity and an uplift score; "
            "run `python -m recsys train` after the campaigns have a history"
        )
    print(f"{len(customers)} offerable customers, {len(exposures)} exposures with a closed window")
    print(format_report(policy_report(customers, exposures, share), share))
    return 0


def _results(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    report = campaign_results(sessions)
    if args.json:
        print(json.dumps(asdict(report), default=str, indent=2))
    else:
        print(format_results(report))
    return 0


def _import(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    found = [read_campaign_file(path) for path in args.files]  # all valid before any is saved
    repo = PromotionRepository(sessions)
    for item in found:
        for campaign in item.campaigns:
            repo.save_campaign(campaign)
            print(f"saved {campaign.key} ({campaign.status}, {len(campaign.variants)} variant(s))")
        if item.settings:
            repo.save_settings(item.settings)
            print("saved global settings")
    return 0


def _export(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    repo = PromotionRepository(sessions)
    for path in write_campaign_dir(args.folder, repo.campaigns(), repo.settings()):
        print(f"wrote {path}")
    return 0


def _redemptions(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    found = scan_redemptions(sessions)
    for r in found:
        print(f"{'ok ' if r.ok else '-- '} order {r.order_number}: {r.message}")
    print(f"{sum(r.ok for r in found)} of {len(found)} coupon uses redeemed")
    return 0


def _outreach(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    from promotions.outreach import OutreachRunner

    runner = OutreachRunner.from_settings(Settings.from_env(), sessions)
    report = asyncio.run(runner.run(dry_run=args.dry_run))
    print("\n".join(report.lines()))
    return 0


def _demo(sessions: sessionmaker[Session], args: argparse.Namespace) -> int:
    from promotions.demo import seed_demo

    summary = seed_demo(sessions, seed=args.seed)
    if summary.skipped:
        print("offer history already present; sample campaigns refreshed, nothing else changed")
    else:
        print(", ".join(f"{k} {v}" for k, v in asdict(summary).items() if k != "skipped"))
    return 0


COMMANDS = {
    "list": _list,
    "show": _show,
    "preview": _preview,
    "simulate": _simulate,
    "results": _results,
    "import": _import,
    "export": _export,
    "redemptions": _redemptions,
    "demo": _demo,
    "outreach": _outreach,
}
