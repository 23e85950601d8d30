"""Playing dialogues against a running stack over its REST channel, as the console does.

Signed-in customers are linked to the conversation the way the shop's signed identity
links them (an identities row); guests are not linked. What ran and which slots were set
is read from Rasa's tracker store (its HTTP API is closed).
"""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text

from benchmarks.dialogues.checks import TurnOutcome, TurnResult, check_turn
from benchmarks.dialogues.placeholders import UnresolvedPlaceholder, shop_facts
from benchmarks.dialogues.schema import Dialogue
from concierge.settings import ROOT, Settings
from console.chat.rasa_client import CHANNEL_SECRET_HEADER, WEBHOOK_PATH
from store.db import make_engine, make_session_factory, upgrade
from store.repository import ShopRepository
from tests.support.servers import post_json
from tests.support.tracker_store import tracker_events


@dataclass
class Target:
    """Where the stack is and what the runner needs to talk to it and read it."""

    rasa_url: str
    channel_secret: str
    db_url: str
    tracker_db_url: str
    # Puts the store back as it was before the run (None: a shared store is left alone).
    restore_store: Callable[[], None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, rasa_url: str | None = None) -> Target:
        return cls(
            rasa_url or settings.rasa_url,
            settings.channel_secret,
            settings.db_url,
            settings.tracker_db_url,
        )


@dataclass
class DialogueResult:
    dialogue: Dialogue
    turns: list[TurnResult] = field(default_factory=list)
    error: str | None = None  # the dialogue could not be played to the end

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and len(self.turns) == len(self.dialogue.turns)
            and all(t.ok for t in self.turns)
        )


class Conversation:
    """One customer's chat over the REST channel."""

    def __init__(self, target: Target, sender_id: str) -> None:
        self.target = target
        self.sender_id = sender_id

    def say(self, text: str) -> list[dict[str, Any]]:
        replies = post_json(
            self.target.rasa_url + WEBHOOK_PATH,
            {"sender": self.sender_id, "message": text, "metadata": {"channel": "web"}},
            timeout=120,
            headers={CHANNEL_SECRET_HEADER: self.target.channel_secret},
        )
        return replies if isinstance(replies, list) else []

    def events(self) -> list[dict[str, Any]]:
        return tracker_events(self.target.tracker_db_url, self.sender_id)


def _state(events: list[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    """Slots and active form that ``events`` add up to."""
    slots: dict[str, Any] = {}
    form: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "slot":
            slots[event["name"]] = event.get("value")
        elif kind == "active_loop":
            form = event.get("name") or None
        elif kind == "session_started":
            form = None
    return slots, form


def order_statuses(db_url: str, numbers: list[str]) -> dict[str, str | None]:
    """The store's status of each order number (None for a number it does not have)."""
    if not numbers:
        return {}
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            found: dict[str, str] = dict(
                conn.execute(
                    text("SELECT number, status FROM orders WHERE number IN :numbers").bindparams(
                        bindparam("numbers", expanding=True)
                    ),
                    {"numbers": numbers},
                ).all()
            )
    finally:
        engine.dispose()
    return {n: found.get(n) for n in numbers}


def play(dialogue: Dialogue, target: Target, repo: ShopRepository) -> DialogueResult:
    """Say each turn, read what happened, check it; stop at a turn the stack failed."""
    result = DialogueResult(dialogue)
    try:
        facts = shop_facts(target.db_url)
        sender_id = f"web-bench-{uuid.uuid4().hex[:12]}"
        if dialogue.signed_in:
            customer_id = facts.customer_ids.get(dialogue.customer)
            if customer_id is None:
                raise UnresolvedPlaceholder(f"the store has no customer {dialogue.customer}")
            repo.link_identity("web", sender_id, customer_id)
        chat = Conversation(target, sender_id)
        seen = 0
        slots: dict[str, Any] = {}
        for turn in dialogue.turns:
            user = facts.one(turn.user, slots)
            replies = chat.say(user)
            events = chat.events()
            slots, form = _state(events)
            outcome = TurnOutcome(replies, events[seen:], slots, form)
            outcome.order_statuses = order_statuses(
                target.db_url, [facts.one(n) for n in turn.expect.orders]
            )
            seen = len(events)
            result.turns.append(
                TurnResult(user, outcome, check_turn(turn.expect, user, outcome, facts))
            )
    except UnresolvedPlaceholder as error:
        result.error = f"cannot play: {error}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        result.error = f"the stack did not answer: {error}"
    return result


def play_all(
    dialogues: list[Dialogue],
    target: Target,
    on_result: Callable[[DialogueResult], None] = lambda r: None,
) -> list[DialogueResult]:
    """Every dialogue in turn, each on the store as it was before the first (when restorable)."""
    repo = ShopRepository(make_session_factory(make_engine(target.db_url)))
    results = []
    for dialogue in dialogues:
        result = play(dialogue, target, repo)
        if target.restore_store is not None:
            target.restore_store()
        results.append(result)
        on_result(result)
    return results


def _copy_sqlite(source: Path, destination: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(destination) as dst:
        src.backup(dst)  # consistent even while the demo writes to the source


@contextlib.contextmanager
def started_stack(scratch: Path, model_path: Path, timeout: float = 900) -> Iterator[Target]:
    """The real stack on free loopback ports, on a private copy of the demo shop."""
    from benchmarks.load_stacks import bench_settings
    from concierge.stack import Stack

    source = ROOT / "var" / "concierge.db"
    if not source.exists():
        raise SystemExit(f"No demo shop at {source}: run `make data` first.")
    if not model_path.exists():
        raise SystemExit(f"No trained model at {model_path}: run `make train` first.")
    settings = bench_settings(scratch / "stack")
    pristine = scratch / "pristine.db"
    _copy_sqlite(source, pristine)
    upgrade(f"sqlite:///{pristine}")
    _copy_sqlite(pristine, settings.var_dir / "concierge.db")
    stack = Stack(settings, model_path=model_path)
    try:  # started inside: an interrupted start must not leave a service running
        stack.start(timeout=timeout)
        target = Target.from_settings(settings)
        yield replace(
            target,
            restore_store=lambda: _copy_sqlite(pristine, settings.var_dir / "concierge.db"),
        )
    finally:
        stack.stop()
