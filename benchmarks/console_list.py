"""How fast is the console's conversations list on 100,000 conversations?

    nice -n 10 .venv/bin/python -m benchmarks.console_list [--conversations 100000] [--fresh]

Fills a migrated shop database and a Rasa-shaped tracker store (one customer message,
one action and one bot reply per conversation, a few fallbacks and unsure messages)
under ``var/bench-console-list/`` once, then times :class:`ConversationList.page` — the
code behind ``/staff/conversations`` — for every filter, and the NLU inbox's pages, reporting
p50/p95 against the baseline: the unfiltered first page.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from concierge.settings import ROOT
from console.models import ConversationReview, ConversationTag
from console.staff.bot_intents import fallback_threshold
from console.staff.conversation_list import ConversationFilters, ConversationList
from console.staff.nlu_inbox import NluInbox
from console.staff.tracker_reader import TrackerReader
from store.db import make_engine, make_session_factory, upgrade
from store.models import ChatSession, Customer, SessionOutcome

BENCH_DIR = ROOT / "var" / "bench-console-list"
START = datetime(2024, 1, 1)
CUSTOMERS = 5_000
INTENTS = ("greet", "order_status", "request_return", "faq/shipping_costs", "cancel_order")
WORDS = [
    "lamp",
    "mug",
    "cushion",
    "parcel",
    "refund",
    "broken",
    "late",
    "colour",
    "size",
    "blue",
    "green",
    "delivery",
]
RASA_EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT,
    PRIMARY KEY (id));
CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id);
"""
# (label, query string as the page receives it)
SCENARIOS: tuple[tuple[str, dict[str, str]], ...] = (
    ("baseline: unfiltered, first page", {}),
    ("unfiltered, page 40", {"page": "40"}),
    ("date range (one week)", {"date_from": "2024-03-01", "date_to": "2024-03-07"}),
    ("channel", {"channel": "telegram"}),
    ("customer e-mail", {"customer": "customer42@"}),
    ("rating", {"rating": "1"}),
    ("review state needs fix", {"review_state": "needs_fix"}),
    ("tag", {"tag": "nlu-gap"}),
    ("offer accepted", {"offer_accepted": "1"}),
    ("handoff", {"handoff": "1"}),
    ("intent (rare)", {"intent": "cancel_order"}),
    ("intent (common: 40% of chats)", {"intent": "greet"}),
    ("fallback happened", {"fallback": "1"}),
    ("low confidence", {"low_confidence": "1"}),
    ("full-text search (rare word)", {"q": "cushion broken"}),
    (
        "full-text search + date range",
        {"q": "refund", "date_from": "2024-03-01", "date_to": "2024-03-31"},
    ),
)


def _epoch(at: datetime) -> float:
    return at.replace(tzinfo=UTC).timestamp()


def fill(folder: Path, conversations: int, seed: int = 7) -> None:
    """Write the shop database and the tracker store for ``conversations`` chats."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    shop_url = f"sqlite:///{folder / 'shop.db'}"
    upgrade(shop_url)
    engine = make_engine(shop_url)
    factory = make_session_factory(engine)
    customers = [
        {
            "id": n,
            "email": f"customer{n}@example.com",
            "first_name": f"First{n}",
            "last_name": f"Last{n}",
            "created_at": START,
            "marketing_consent": False,
            "email_opt_in": False,
            "sms_opt_in": False,
            "offers_opt_out": False,
            "preferences": {},
            "tags": {},
        }
        for n in range(1, CUSTOMERS + 1)
    ]
    chats, outcomes, reviews, tags, events = [], [], [], [], []
    for n in range(1, conversations + 1):
        started = START + timedelta(minutes=5 * n)
        intent = rng.choices(INTENTS, weights=(40, 30, 15, 14, 1))[0]
        fallback = rng.random() < 0.04
        chats.append(
            {
                "id": n,
                "sender_id": f"web-{n}",
                "customer_id": rng.randint(1, CUSTOMERS) if rng.random() < 0.7 else None,
                "channel": "telegram" if rng.random() < 0.05 else "web",
                "started_at": started,
                "last_activity_at": started + timedelta(minutes=2),
                "turns": 1,
                "intents": [intent],
                "rating": rng.randint(1, 5) if rng.random() < 0.2 else None,
            }
        )
        if rng.random() < 0.1:
            kind = rng.choice(("offer_shown", "offer_accepted", "handoff_requested"))
            outcomes.append(
                {"session_id": n, "kind": kind, "ref": None, "detail": {}, "at": started}
            )
        if rng.random() < 0.02:
            reviews.append(
                {"session_id": n, "state": "needs_fix", "updated_at": started, "updated_by": "b"}
            )
            tags.append({"session_id": n, "tag": "nlu-gap"})
        text = " ".join(rng.sample(WORDS, 4)) + f" order {10000 + n}"
        said = "nlu_fallback" if fallback else intent
        confidence = 0.6 if fallback else round(rng.uniform(0.3, 1.0), 3)
        ts = _epoch(started) + 2
        user = {
            "event": "user",
            "timestamp": ts,
            "text": text,
            "parse_data": {"intent": {"name": said, "confidence": confidence}, "text": text},
        }
        action = "action_default_fallback" if fallback else "action_answer"
        events += [
            (f"web-{n}", "user", ts, said, None, json.dumps(user)),
            (
                f"web-{n}",
                "action",
                ts + 1,
                None,
                action,
                json.dumps({"event": "action", "name": action}),
            ),
            (f"web-{n}", "bot", ts + 2, None, None, json.dumps({"event": "bot", "text": "Sure."})),
        ]
    with factory() as s, s.begin():
        for table, rows in (
            (Customer.__table__, customers),
            (ChatSession.__table__, chats),
            (SessionOutcome.__table__, outcomes),
            (ConversationReview.__table__, reviews),
            (ConversationTag.__table__, tags),
        ):
            for start in range(0, len(rows), 20_000):
                s.execute(insert(table), rows[start : start + 20_000])
    engine.dispose()
    with sqlite3.connect(folder / "tracker.db") as conn:
        conn.executescript(RASA_EVENTS_SCHEMA)
        conn.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock milliseconds of ``repeats`` calls (after one warm-up call)."""
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1)]


def run(folder: Path, repeats: int) -> list[tuple[str, int, float, float]]:
    """Time every scenario; rows of (label, rows on the page, p50 ms, p95 ms)."""
    engine = make_engine(f"sqlite:///{folder / 'shop.db'}")
    tracker = TrackerReader(f"sqlite:///{folder / 'tracker.db'}")
    listing_sessions = make_session_factory(engine)
    listing = ConversationList(listing_sessions, tracker)
    results = []
    try:
        for label, query in SCENARIOS:
            filters = ConversationFilters.parse(query)
            found = len(listing.page(filters).rows)
            times = timed(functools.partial(listing.page, filters), repeats)
            results.append((label, found, statistics.median(times), p95(times)))
        inbox = NluInbox(listing_sessions, tracker, fallback_threshold())
        for label, page in (("NLU inbox, first page", 0), ("NLU inbox, page 100", 100)):
            found = len(inbox.page(page).messages)
            times = timed(functools.partial(inbox.page, page), repeats)
            results.append((label, found, statistics.median(times), p95(times)))
    finally:
        tracker.close()
        engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    """Fill (once) and time; prints a Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.console_list")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--dir", type=Path, default=BENCH_DIR)
    parser.add_argument("--fresh", action="store_true", help="rebuild the databases")
    args = parser.parse_args(argv)
    folder = args.dir / str(args.conversations)
    if args.fresh or not (folder / "tracker.db").exists():
        for name in ("shop.db", "shop.db-wal", "shop.db-shm", "tracker.db"):
            (folder / name).unlink(missing_ok=True)
        started = time.perf_counter()
        fill(folder, args.conversations)
        print(f"filled {folder} in {time.perf_counter() - started:.0f} s")
    else:
        upgrade(f"sqlite:///{folder / 'shop.db'}")  # new indexes reach an existing file too
    results = run(folder, args.repeats)
    base = results[0][2]
    print(f"\n{args.conversations:,} conversations, {args.repeats} timed runs each\n")
    print("| query | rows | p50 ms | p95 ms | p50 vs baseline |")
    print("|---|---|---|---|---|")
    for label, rows, p50, p95_ms in results:
        print(f"| {label} | {rows} | {p50:.1f} | {p95_ms:.1f} | ×{p50 / base:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
