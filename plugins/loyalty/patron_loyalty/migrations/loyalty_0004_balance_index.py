"""loyalty: the per-customer index of the ledger also holds the points, so balances are read from it alone.

Balances are ``SUM(points) GROUP BY customer_id`` (the liability report, redemption
checks). With ``points`` in the ``(customer_id, id)`` index both engines sum them
from the index in customer order instead of looking up every ledger row (on SQLite
at 1,000,000 entries that lookup was most of the liability report's 10 s). Same
leading columns, so every query that used the old index still can; it is dropped.

Revision ID: loyalty_0004
Revises: loyalty_0003
"""

from __future__ import annotations

from alembic import op

revision = "loyalty_0004"
down_revision = "loyalty_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_loyalty_ledger_customer_points", "loyalty_ledger", ["customer_id", "id", "points"])
    op.drop_index("ix_loyalty_ledger_customer", "loyalty_ledger")


def downgrade() -> None:
    op.create_index("ix_loyalty_ledger_customer", "loyalty_ledger", ["customer_id", "id"])
    op.drop_index("ix_loyalty_ledger_customer_points", "loyalty_ledger")
