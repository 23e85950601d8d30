"""Whether one turn came out as its expectation says: a list of what went wrong, if anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from benchmarks.dialogues.placeholders import ShopFacts, UnresolvedPlaceholder
from benchmarks.dialogues.schema import Expectation
from concierge.settings import ROOT

# Not the bot's own doing: they run around every turn.
BOOKKEEPING = {"action_listen", "action_session_start"}


@dataclass
class TurnOutcome:
    """What the stack did with one message: replies, events of the turn, slots after it."""

    replies: list[dict[str, Any]]
    events: list[dict[str, Any]]
    slots: dict[str, Any]
    active_form: str | None
    # Store status of the orders the expectation asks about, by number (None: no such order).
    order_statuses: dict[str, str | None] = field(default_factory=dict)

    @property
    def actions(self) -> list[str]:
        return [
            e["name"]
            for e in self.events
            if e.get("event") == "action" and e.get("name") not in BOOKKEEPING
        ]

    @property
    def text(self) -> str:
        """Everything the customer saw: reply texts and button titles."""
        parts: list[str] = []
        for reply in self.replies:
            parts.append(reply.get("text") or "")
            parts.extend(str(b.get("title", "")) for b in reply.get("buttons") or [])
        return "\n".join(p for p in parts if p)

    def slots_set(self) -> dict[str, Any]:
        """Slots this turn gave a value (the last value of each)."""
        return {
            e["name"]: e.get("value")
            for e in self.events
            if e.get("event") == "slot" and e.get("value") is not None
        }


@dataclass
class TurnResult:
    user: str
    outcome: TurnOutcome
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@cache
def raw_intent_names() -> frozenset[str]:
    """The domain's intent names a customer must never see (those with an underscore)."""
    names: set[str] = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        for intent in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents", []):
            name = intent if isinstance(intent, str) else next(iter(intent))
            if "_" in name:
                names.add(name)
    return frozenset(names)


def _contains(haystack: str, needle: str) -> bool:
    return needle.casefold() in haystack.casefold()


def _same(got: str | None, wanted: str | None) -> bool:
    if got is None or wanted is None:
        return got is wanted
    return got.casefold() == wanted.casefold()


def _always(outcome: TurnOutcome) -> list[str]:
    """What every turn owes the customer: an answer, and no raw intent name in it."""
    problems = []
    if not outcome.text.strip():
        problems.append("the bot said nothing")
    leaked = sorted(
        n for n in raw_intent_names() if re.search(rf"\b{re.escape(n)}\b", outcome.text)
    )
    if leaked:
        problems.append(f"shows raw intent names {leaked}")
    return problems


def _action_problems(expect: Expectation, ran: list[str]) -> list[str]:
    problems = []
    missing = [a for a in expect.actions if a not in ran]
    if missing:
        problems.append(f"expected actions {missing} to run")
    elif expect.in_order:
        positions = [ran.index(a) for a in expect.actions]
        if positions != sorted(positions):
            problems.append(f"expected {list(expect.actions)} in that order")
    if expect.actions_any and not any(a in ran for a in expect.actions_any):
        problems.append(f"expected one of {list(expect.actions_any)} to run")
    unwanted = [a for a in expect.not_actions if a in ran]
    if unwanted:
        problems.append(f"expected {unwanted} not to run")
    if expect.first_action is not None and (not ran or ran[0] != expect.first_action):
        problems.append(f"expected {expect.first_action} first")
    return problems


def _text_problems(expect: Expectation, text: str, facts: ShopFacts, slots: dict) -> list[str]:
    problems = []
    for template in expect.says:
        # "sorry|apologise": either wording will do.
        options = [o for alt in template.split("|") for o in facts.resolve(alt, slots)]
        if not any(_contains(text, o) for o in options):
            problems.append(f"expected the reply to say {' / '.join(options)!r}")
    if expect.says_any:
        options = [o for t in expect.says_any for o in facts.resolve(t, slots)]
        if not any(_contains(text, o) for o in options):
            problems.append(f"expected the reply to say one of {options}")
    for template in expect.not_says:
        said = [o for o in facts.resolve(template, slots) if _contains(text, o)]
        if said:
            problems.append(f"expected the reply not to say {said}")
    return problems


def _slot_problems(
    expect: Expectation, outcome: TurnOutcome, user: str, facts: ShopFacts
) -> list[str]:
    problems = []
    for name, template in expect.slots.items():
        got = outcome.slots.get(name)
        wanted = None if template is None else facts.one(str(template), outcome.slots)
        if not _same(None if got is None else str(got), wanted):
            problems.append(f"expected slot {name} = {wanted!r}")
    taken = outcome.slots_set()
    for name in expect.slots_not_from_text:
        value = taken.get(name)
        if isinstance(value, str) and value.strip() and _contains(user, value.strip()):
            problems.append(f"slot {name} took {value!r} from the customer's words")
    return problems


def check_turn(expect: Expectation, user: str, outcome: TurnOutcome, facts: ShopFacts) -> list[str]:
    """Every way ``outcome`` falls short of ``expect`` (empty when the turn went right)."""
    problems = _always(outcome) + _action_problems(expect, outcome.actions)
    for section in (
        lambda: _text_problems(expect, outcome.text, facts, outcome.slots),
        lambda: _slot_problems(expect, outcome, user, facts),
    ):
        try:
            problems += section()
        except UnresolvedPlaceholder as error:
            problems.append(f"cannot check: {error}")
    for number, status in outcome.order_statuses.items():
        wanted = next(v for k, v in expect.orders.items() if facts.one(k) == number)
        if status != wanted:
            problems.append(f"expected order {number} to be {wanted} in the store, it is {status}")
    if expect.checks_form and outcome.active_form != expect.form:
        problems.append(f"expected active form {expect.form}, got {outcome.active_form}")
    return problems
