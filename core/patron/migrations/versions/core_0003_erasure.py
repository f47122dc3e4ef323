"""Erasure: a partial index on erased customers (the importer asks "anyone erased?" per batch).

Revision ID: core_0003
Revises: core_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_customers_erased",
        "customers",
        ["erased_at"],
        sqlite_where=sa.text("erased_at IS NOT NULL"),
        postgresql_where=sa.text("erased_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customers_erased", "customers")
