"""Link codes sent to the e-mail address on file: who may ask, and the code for whom.

A Telegram guest without a code may give the address of their shop account; the bot then
e-mails a code issued exactly as the shop's account page issues it
(``AccountLinking.issue_code``), so it is redeemed as any other code. The rules:

* the answer never says whether the address is on file: an unknown address is counted and
  answered like a known one, only no code is issued;
* at most :data:`MAX_MAILS_PER_USER` requests per channel user and
  :data:`MAX_MAILS_PER_ADDRESS` per address in :data:`MAIL_WINDOW`, so the bot cannot be
  used to flood a mailbox, nor to try address after address;
* requests are rows of ``link_attempts`` (no table of their own): the channel user's under
  ``mail:<channel>``, the address's under :data:`ADDRESS_CHANNEL` with the SHA-256 of the
  address, never the address itself;
* a request whose e-mail could not be sent is withdrawn (its rows and its code), so a relay
  that is down costs the customer nothing but a retry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.account_linking import DEFAULT_CHANNEL, AccountLinking, IssuedCode, code_hash
from store.db import UnitOfWork
from store.link_codes import LinkAttempt, LinkCode
from store.models import Customer

MAX_MAILS_PER_USER = 3
MAX_MAILS_PER_ADDRESS = 3
MAIL_WINDOW = timedelta(hours=1)
# link_attempts.channel of the requests made for an address (user id: its SHA-256).
ADDRESS_CHANNEL = "mail:address"


class MailOutcome(StrEnum):
    """What became of a request for a code by e-mail."""

    ISSUED = "issued"  # a code for the account with that address: send it
    NO_ACCOUNT = "no_account"  # nothing to send, answered like ISSUED
    LIMITED = "limited"  # too many requests by this user or for this address


@dataclass(frozen=True)
class CodeMailRequest:
    """A counted request, and the code and customer's name when there is an account."""

    outcome: MailOutcome
    attempt_ids: tuple[int, ...] = ()
    code: IssuedCode | None = None
    first_name: str = ""


def requester_channel(channel: str) -> str:
    """The ``link_attempts.channel`` of e-mail requests by users of ``channel``."""
    return f"mail:{channel}"


def address_key(email: str) -> str:
    """The SHA-256 (hex) an address is counted under; the address itself is not kept."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class LinkCodeMail(UnitOfWork):
    """Requests for link codes by e-mail, limited and counted in one shop database."""

    def request(
        self, channel_user_id: str, email: str, channel: str = DEFAULT_CHANNEL
    ) -> CodeMailRequest:
        """Count a request for ``email`` by a channel user; a code if the address is on file."""
        with self._write() as s:
            keys = (
                (requester_channel(channel), channel_user_id),
                (ADDRESS_CHANNEL, address_key(email)),
            )
            if self._over_limit(s, keys[0], MAX_MAILS_PER_USER) or self._over_limit(
                s, keys[1], MAX_MAILS_PER_ADDRESS
            ):
                return CodeMailRequest(MailOutcome.LIMITED)
            now = self._clock()
            rows = [LinkAttempt(channel=c, channel_user_id=u, at=now, ok=True) for c, u in keys]
            s.add_all(rows)
            s.flush()
            attempt_ids = tuple(row.id for row in rows)
            customer = s.scalar(
                select(Customer).where(func.lower(Customer.email) == email.strip().lower())
            )
            if customer is None:
                return CodeMailRequest(MailOutcome.NO_ACCOUNT, attempt_ids)
            customer_id, first_name = customer.id, customer.first_name or ""
        # Its own transaction, as on the account page: the customer's older codes stop working.
        code = AccountLinking(self._sessions, self._clock).issue_code(customer_id, channel)
        return CodeMailRequest(MailOutcome.ISSUED, attempt_ids, code, first_name)

    def withdraw(self, request: CodeMailRequest) -> None:
        """Forget a request whose e-mail was not sent: it counts for nothing, its code is void."""
        with self._write() as s:
            if request.attempt_ids:
                s.execute(delete(LinkAttempt).where(LinkAttempt.id.in_(request.attempt_ids)))
            if request.code is not None:
                s.execute(
                    delete(LinkCode).where(
                        LinkCode.code_sha256 == code_hash(request.code.code),
                        LinkCode.used_at.is_(None),
                    )
                )

    def _over_limit(self, s: Session, key: tuple[str, str], limit: int) -> bool:
        channel, user_id = key
        since = self._clock() - MAIL_WINDOW
        count = s.scalar(
            select(func.count(LinkAttempt.id)).where(
                LinkAttempt.channel == channel,
                LinkAttempt.channel_user_id == user_id,
                LinkAttempt.at > since,
            )
        )
        return int(count or 0) >= limit
