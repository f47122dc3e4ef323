"""loyalty: the ledger refuses SQLite INSERT OR REPLACE and PostgreSQL TRUNCATE too.

loyalty_0001 refused DELETE and changes to amounts, but SQLite's REPLACE
conflict resolution deletes without firing DELETE triggers (a ledger row went
from 1 to 99,999 points), and PostgreSQL's TRUNCATE fires no row triggers.

Revision ID: loyalty_0002
Revises: loyalty_0001
"""

from __future__ import annotations

from patron.sql import append_only, drop_append_only

revision = "loyalty_0002"
down_revision = "loyalty_0001"
branch_labels = None
depends_on = None

APPEND_ONLY = "loyalty_ledger is append-only: write a new entry (adjust or reverse) instead of changing one"


def upgrade() -> None:
    append_only("loyalty_ledger", guards=("replace", "truncate"), message=APPEND_ONLY)


def downgrade() -> None:
    drop_append_only("loyalty_ledger", guards=("replace", "truncate"))
