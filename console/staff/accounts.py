"""Staff accounts (argon2-hashed passwords, roles) and the audit log of data-changing actions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.models import ROLES, AuditEntry, StaffAccount
from store.db import UnitOfWork

MIN_PASSWORD_CHARS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verified against when the e-mail is unknown, so a wrong e-mail costs as much time as a
# wrong password and timing does not reveal which accounts exist.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


class AccountError(ValueError):
    """A request to create or change an account that cannot be honoured; says why."""


@dataclass(frozen=True)
class Account:
    """A staff account as the console sees it (never carries the hash)."""

    id: int
    email: str
    display_name: str
    roles: frozenset[str]
    active: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    def has_any(self, roles: Iterable[str]) -> bool:
        """Whether the account holds one of ``roles``; admins hold every role."""
        return "admin" in self.roles or bool(self.roles & set(roles))

    @classmethod
    def of(cls, row: StaffAccount) -> Account:
        """Snapshot an account row."""
        return cls(
            id=row.id,
            email=row.email,
            display_name=row.display_name,
            roles=frozenset(r for r in row.roles.split(",") if r),
            active=row.active,
            created_at=row.created_at,
            last_sign_in_at=row.last_sign_in_at,
        )


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log."""

    at: datetime
    actor_email: str
    action: str
    target: str
    detail: dict[str, Any]


def parse_roles(roles: Iterable[str]) -> frozenset[str]:
    """Validate role names; raises AccountError naming the unknown ones."""
    chosen = frozenset(r.strip().lower() for r in roles if r.strip())
    unknown = sorted(chosen - set(ROLES))
    if unknown:
        raise AccountError(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLES)}")
    if not chosen:
        raise AccountError(f"give the account at least one role: {', '.join(ROLES)}")
    return chosen


class StaffDirectory(UnitOfWork):
    """Accounts and audit log in the shop database."""

    def create_account(
        self,
        email: str,
        password: str,
        roles: Iterable[str],
        *,
        display_name: str | None = None,
        actor: str = "command line",
    ) -> Account:
        """Create an account; the creation is written to the audit log."""
        email = email.strip().lower()
        if not _EMAIL.match(email):
            raise AccountError(f"{email!r} is not an e-mail address")
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
        chosen = parse_roles(roles)
        name = (display_name or "").strip() or email.split("@")[0]
        try:
            with self._write() as s:
                row = StaffAccount(
                    email=email,
                    display_name=name[:100],
                    password_hash=_hasher.hash(password),
                    roles=",".join(r for r in ROLES if r in chosen),
                    active=True,
                    created_at=self._clock(),
                )
                s.add(row)
                s.flush()
                self._audit(s, actor, "account_created", email, {"roles": sorted(chosen)})
                return Account.of(row)
        except IntegrityError as exc:
            raise AccountError(f"an account for {email} already exists") from exc

    def authenticate(self, email: str, password: str) -> Account | None:
        """The active account whose password this is, or None."""
        with self._read() as s:
            row = s.scalar(select(StaffAccount).where(StaffAccount.email == email.strip().lower()))
            stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        with self._write() as s:
            fresh = s.get(StaffAccount, row.id)
            if fresh is None:
                return None
            fresh.last_sign_in_at = self._clock()
            if _hasher.check_needs_rehash(fresh.password_hash):
                fresh.password_hash = _hasher.hash(password)
            return Account.of(fresh)

    def account_id_for(self, email: str) -> int | None:
        """The id of the account with ``email``, if there is one."""
        with self._read() as s:
            return s.scalar(
                select(StaffAccount.id).where(StaffAccount.email == email.strip().lower())
            )

    def account(self, account_id: int) -> Account | None:
        """The account with ``account_id``."""
        with self._read() as s:
            row = s.get(StaffAccount, account_id)
            return Account.of(row) if row else None

    def accounts(self) -> list[Account]:
        """Every account, by e-mail."""
        with self._read() as s:
            rows = s.scalars(select(StaffAccount).order_by(StaffAccount.email))
            return [Account.of(r) for r in rows]

    def set_active(self, account_id: int, active: bool, *, actor: str) -> Account:
        """Enable or disable an account; disabled accounts are signed out at once."""
        with self._write() as s:
            row = s.get(StaffAccount, account_id)
            if row is None:
                raise AccountError(f"there is no account with id {account_id}")
            row.active = active
            action = "account_enabled" if active else "account_disabled"
            self._audit(s, actor, action, row.email, {})
            return Account.of(row)

    def record(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        """Write one line to the audit log."""
        with self._write() as s:
            self._audit(s, actor, action, target, detail)

    def audit_log(self, *, limit: int = 100, offset: int = 0) -> list[AuditRecord]:
        """Audit entries, newest first."""
        with self._read() as s:
            rows = s.scalars(
                select(AuditEntry)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return [
                AuditRecord(r.at, r.actor_email, r.action, r.target, dict(r.detail or {}))
                for r in rows
            ]

    def count_accounts(self) -> int:
        """How many accounts exist."""
        with self._read() as s:
            return s.scalar(select(func.count()).select_from(StaffAccount)) or 0

    def _audit(
        self, s: Session, actor: str, action: str, target: str, detail: dict[str, Any]
    ) -> None:
        write_audit(s, self._clock(), actor, action, target, detail)


def write_audit(
    s: Session, at: datetime, actor: str, action: str, target: str, detail: dict[str, Any]
) -> None:
    """Add an audit entry inside the caller's transaction, so change and record commit together."""
    s.add(
        AuditEntry(
            at=at, actor_email=actor[:255], action=action, target=target[:255], detail=dict(detail)
        )
    )
