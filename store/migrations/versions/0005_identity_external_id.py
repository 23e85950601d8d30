"""Identities: the shop's customer id whose signed identity proved a chat's link.

A web chat is linked to a customer only when the shop's server signed for them (issue 12);
``identities.external_id`` records which of the shop's customer ids (``customers.external_ref``)
that was, so every chat of a shop account can be found (access, erasure).

Revision ID: 0005_identity_external_id
Revises: 0004_console_nlu
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_identity_external_id"
down_revision: str | None = "0004_console_nlu"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # A nullable column: SQLite adds it in place, existing links keep NULL (not vouched).
    op.add_column("identities", sa.Column("external_id", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_identities_external_id"), "identities", ["external_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_identities_external_id"), table_name="identities")
    # batch mode: SQLite drops a column by copying the table.
    with op.batch_alter_table("identities") as batch:
        batch.drop_column("external_id")
