"""loyalty: index the ledger's ``lot_id`` (expiry entries), so a clawback's "what already expired" is a lookup.

Every refund in an import batch asks how much of its purchase's lot has expired
(``kind = 'expire' AND lot_id = <lot>``). Without an index each refund scanned
the whole ledger: quadratic in the size of the programme (at 50,000 purchases
with 2 % refunds, clawbacks were two thirds of the import's time). Only expiry
entries name a lot, so a partial index costs earning nothing.

Revision ID: loyalty_0003
Revises: loyalty_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0003"
down_revision = "loyalty_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_loyalty_ledger_lot",
        "loyalty_ledger",
        ["lot_id"],
        sqlite_where=sa.text("lot_id IS NOT NULL"),
        postgresql_where=sa.text("lot_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_loyalty_ledger_lot", table_name="loyalty_ledger")
