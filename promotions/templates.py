"""Offer messages: sandboxed Jinja2 templates with personalisation slots.

Templates are written by marketers and rendered with slot values that come from customers
(a first name is whatever someone typed at sign-up), so both sides are distrusted:
templates run in Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined`` (a missing slot
fails instead of rendering an empty hole), and slot values are cleaned before rendering so
that a hostile value cannot smuggle markup, links or layout into the chat. Values are
inserted once and never re-parsed, so ``{{ ... }}`` inside a value is inert text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

# Slots an offer message may use; ``code`` exists only once a coupon was issued.
OFFER_SLOTS: tuple[str, ...] = (
    "first_name",
    "product",
    "discount",
    "min_basket",
    "validity_days",
    "expiry",
)
# The acceptance message comes later, away from the product that was being discussed.
ACCEPTED_SLOTS: tuple[str, ...] = (
    "first_name",
    "discount",
    "min_basket",
    "validity_days",
    "expiry",
    "code",
)
# Slots whose value depends on the customer or the moment (the rest come from the coupon).
PERSONAL_SLOTS: tuple[str, ...] = ("first_name", "product")

SLOT_LIMIT = 60
MESSAGE_LIMIT = 640

# Control characters, zero-width and bidi-override characters (which can reorder what the
# reader sees), and the characters chat widgets treat as markup or Markdown links.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069<>\[\]{}`\\|]")
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]{0,200}>")
# Chat widgets turn URLs into links; a name or product title never needs one.
_URL = re.compile(r"(?:\b(?:https?|ftp|javascript|data|file)\s*:|\bwww\.)\S*", re.IGNORECASE)

SAMPLE_SLOTS: dict[str, str] = {
    "first_name": "Anna",
    "product": "Linen table lamp",
    "discount": "15%",
    "min_basket": "£40",
    "validity_days": "14",
    "expiry": "30 April",
    "code": "SAMPLE-CODE",
}


class TemplateProblem(ValueError):
    """A template that cannot be saved: bad syntax, an unknown slot or a forbidden use."""


class MissingSlot(TemplateProblem):
    """Rendering needed a slot that has no value for this customer or moment."""

    def __init__(self, slot: str) -> None:
        super().__init__(f"the message needs '{slot}', which has no value here")
        self.slot = slot


_ENV = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


@lru_cache(maxsize=512)
def _compiled(source: str) -> Any:
    return _ENV.from_string(source)


def clean_slot(value: Any, limit: int = SLOT_LIMIT) -> str:
    """A slot value made harmless for a chat message: no markup, no control chars, bounded."""
    text = _URL.sub(" ", _TAG.sub(" ", str(value)))
    text = _UNSAFE.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


# Campaigns are read from the store for every offer decision; checking the same template
# text again (a Jinja parse and four renders) was most of a decision's cost (issue 15).
@lru_cache(maxsize=1024)
def check_template(source: str, allowed: tuple[str, ...], where: str) -> frozenset[str]:
    """Validate a template; return the personal slots it cannot render without.

    Raises ``TemplateProblem`` naming ``where`` (e.g. "variant 'a' template") for a syntax
    error, an unknown slot (with a suggestion) or a template the sandbox refuses.
    """
    if not source or not source.strip():
        raise TemplateProblem(f"{where} is empty")
    try:
        names = meta.find_undeclared_variables(_ENV.parse(source))
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"{where}: line {exc.lineno}: {exc.message}") from exc
    for name in sorted(names):
        if name in allowed:
            continue
        if name in ("code", "discount", "min_basket", "validity_days", "expiry") and (
            "discount" not in allowed
        ):
            raise TemplateProblem(f"{where} uses '{name}', but the variant has no coupon")
        if name == "code":
            raise TemplateProblem(
                f"{where} uses 'code', which exists only after the customer accepts — "
                "put it in accepted_template"
            )
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f" — did you mean '{close[0]}'?" if close else f" (slots: {', '.join(allowed)})"
        raise TemplateProblem(f"{where} uses unknown slot '{name}'{hint}")
    try:
        render(source, SAMPLE_SLOTS)
    except SecurityError as exc:
        raise TemplateProblem(f"{where} does something the sandbox forbids: {exc}") from exc
    except Exception as exc:  # any runtime failure of a marketer's template is their error
        raise TemplateProblem(f"{where} fails to render: {exc}") from exc
    needed = set()
    for slot in PERSONAL_SLOTS:
        if slot not in names:
            continue
        try:
            render(source, {k: v for k, v in SAMPLE_SLOTS.items() if k != slot})
        except MissingSlot:
            needed.add(slot)
    return frozenset(needed)


def render(source: str, slots: Mapping[str, Any]) -> str:
    """Render ``source`` with cleaned ``slots``; a slot that is absent or None raises MissingSlot."""
    values = {k: clean_slot(v) for k, v in slots.items() if v is not None and str(v).strip()}
    try:
        text = _compiled(source).render(**values)
    except UndefinedError as exc:
        raise MissingSlot(_undefined_name(exc)) from exc
    # Marketers may break lines on purpose; everything else about layout is normalised.
    text = "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1].rstrip() + "…"
    return text


def _undefined_name(exc: UndefinedError) -> str:
    match = re.search(r"'([^']+)' is undefined", str(exc))
    return match.group(1) if match else str(exc)
