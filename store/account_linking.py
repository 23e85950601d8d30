"""Linking a messaging account to a shop customer with a one-time code.

The shop's server asks for a code for a signed-in customer (``issue_code``) and shows it
with a deep link; the customer sends it to the bot, whose action redeems it for the
channel user (``redeem``), which links that user in the identities table. The rules:

* a code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), so it
  survives being read aloud or typed from a phone; only its SHA-256 is stored;
* it expires after 15 minutes, and a new code replaces the customer's unused ones;
* it links once: the redeeming UPDATE only succeeds while ``used_at`` is empty, so two
  redemptions racing on two servers link one user and refuse the other;
* every failed redemption is recorded in ``link_attempts``; a channel user with 5 failures
  in the last hour is refused without the code being looked at, which keeps guessing a
  30^8 code hopeless.

The tables are declared in ``store.link_codes``. The outcomes are codes; the bot words them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, delete, func, select, update
from sqlalchemy.orm import Session

from store.db import UnitOfWork
from store.errors import CustomerNotFound
from store.identities import put_identity
from store.link_codes import LinkAttempt, LinkCode
from store.models import ChatSession, Customer, Identity
from store.views import CustomerView

# Upper-case letters and digits a person cannot confuse with one another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=15)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)
DEFAULT_CHANNEL = "telegram"


class LinkOutcome(StrEnum):
    """What became of a redemption."""

    LINKED = "linked"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    LIMITED = "limited"


@dataclass(frozen=True)
class IssuedCode:
    """A fresh code as the shop shows it once; the store keeps only its hash."""

    code: str
    customer_id: int
    channel: str
    expires_at_iso: str


@dataclass(frozen=True)
class Redemption:
    """The outcome of a redemption, and the customer it linked (only when linked)."""

    outcome: LinkOutcome
    customer: CustomerView | None = None


def telegram_deep_link(bot_name: str, code: str) -> str:
    """The t.me link that opens the bot and makes the app send ``/start <code>``.

    Telegram's documented deep linking: the start parameter may hold A-Z, a-z, 0-9, _ and -
    (up to 64 characters), which every code of :data:`CODE_ALPHABET` satisfies.
    """
    return f"https://t.me/{bot_name.removeprefix('@')}?start={normalize_code(code)}"


def normalize_code(text: str) -> str:
    """A code as typed ("abcd-2345 ", "ABCD 2345") in its canonical form."""
    return "".join(ch for ch in text.upper() if ch not in " -\t\n")


def code_hash(code: str) -> str:
    """The SHA-256 (hex) the store keeps of a code."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def new_code() -> str:
    """A random code from :data:`CODE_ALPHABET` (``secrets``, not ``random``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def execute_counted(s: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed."""
    return cast(CursorResult[Any], s.execute(statement)).rowcount


def is_well_formed(code: str) -> bool:
    """Whether a normalized code could have been issued (length and alphabet)."""
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


class AccountLinking(UnitOfWork):
    """Link codes and the channel identities they create, in one shop database."""

    def issue_code(self, customer_id: int, channel: str = DEFAULT_CHANNEL) -> IssuedCode:
        """A new code for the customer; their unused codes for ``channel`` stop working."""
        with self._write() as s:
            if s.get(Customer, customer_id) is None:
                raise CustomerNotFound(customer_id)
            s.execute(
                delete(LinkCode).where(
                    LinkCode.customer_id == customer_id,
                    LinkCode.channel == channel,
                    LinkCode.used_at.is_(None),
                )
            )
            code = self._unused_code(s)
            now = self._clock()
            row = LinkCode(
                code_sha256=code_hash(code),
                customer_id=customer_id,
                channel=channel,
                created_at=now,
                expires_at=now + CODE_LIFETIME,
                used_at=None,
                used_by=None,
            )
            s.add(row)
            return IssuedCode(code, customer_id, channel, row.expires_at.isoformat())

    @staticmethod
    def _unused_code(s: Session) -> str:
        # A clash among 30^8 codes is all but impossible; checking costs one indexed read.
        while True:
            code = new_code()
            taken = s.scalar(select(LinkCode.id).where(LinkCode.code_sha256 == code_hash(code)))
            if taken is None:
                return code

    def redeem(self, code: str, channel: str, channel_user_id: str) -> Redemption:
        """Redeem ``code`` for a channel user: link them, or say why not (and count it)."""
        with self._write() as s:
            now = self._clock()
            if self._recent_failures(s, channel, channel_user_id) >= MAX_FAILURES:
                return Redemption(LinkOutcome.LIMITED)
            outcome, customer = self._try_redeem(s, normalize_code(code), channel, channel_user_id)
            s.add(
                LinkAttempt(
                    channel=channel,
                    channel_user_id=channel_user_id,
                    at=now,
                    ok=outcome is LinkOutcome.LINKED,
                )
            )
            return Redemption(outcome, customer)

    def _try_redeem(
        self, s: Session, code: str, channel: str, channel_user_id: str
    ) -> tuple[LinkOutcome, CustomerView | None]:
        if not is_well_formed(code):
            return LinkOutcome.UNKNOWN, None
        row = s.scalar(
            select(LinkCode).where(
                LinkCode.code_sha256 == code_hash(code), LinkCode.channel == channel
            )
        )
        if row is None:
            return LinkOutcome.UNKNOWN, None
        if row.used_at is not None:
            return LinkOutcome.USED, None
        now = self._clock()
        if row.expires_at <= now:
            return LinkOutcome.EXPIRED, None
        # Conditional on still being unused: of two redemptions racing past the read above
        # (possible on PostgreSQL's READ COMMITTED), exactly one updates the row.
        claimed = execute_counted(
            s,
            update(LinkCode)
            .where(LinkCode.id == row.id, LinkCode.used_at.is_(None))
            .values(used_at=now, used_by=channel_user_id)
            .execution_options(synchronize_session=False),
        )
        if claimed != 1:
            return LinkOutcome.USED, None
        self._link(s, channel, channel_user_id, row.customer_id)
        customer = s.get(Customer, row.customer_id)
        return LinkOutcome.LINKED, CustomerView.of(customer) if customer else None

    def _link(self, s: Session, channel: str, channel_user_id: str, customer_id: int) -> None:
        put_identity(s, channel, channel_user_id, customer_id, self._clock())
        # The chat session under way belongs to the customer from here on, so the session
        # history and the console show who it was.
        s.execute(
            update(ChatSession)
            .where(ChatSession.sender_id == channel_user_id, ChatSession.ended_at.is_(None))
            .values(customer_id=customer_id)
        )

    def _recent_failures(self, s: Session, channel: str, channel_user_id: str) -> int:
        since = self._clock() - FAILURE_WINDOW
        return int(
            s.scalar(
                select(func.count(LinkAttempt.id)).where(
                    LinkAttempt.channel == channel,
                    LinkAttempt.channel_user_id == channel_user_id,
                    LinkAttempt.at > since,
                    LinkAttempt.ok.is_(False),
                )
            )
            or 0
        )

    def unlink(self, channel: str, channel_user_id: str) -> bool:
        """Remove the channel user's link; whether there was one."""
        with self._write() as s:
            removed = execute_counted(
                s,
                delete(Identity).where(
                    Identity.channel == channel, Identity.channel_user_id == channel_user_id
                ),
            )
            return removed > 0
