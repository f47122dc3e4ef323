"""Reports at scale: the (kind, occurred_at) index of interactions also covers customer, currency and amount.

Every set-based report over purchases (overview, RFM scoring, CLV summaries)
filters on ``kind`` and a time range and reads only ``customer_id``,
``currency`` and ``amount_minor``. With those columns in the index both engines
answer such queries from the index alone (SQLite: "USING COVERING INDEX";
PostgreSQL: an index-only scan once vacuumed) instead of one table lookup per
row, which on SQLite cost more than a full scan. The new index has the old one's
leading columns, so every query that used it still can; the old one is dropped.

Revision ID: core_0004
Revises: core_0003
"""

from __future__ import annotations

from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None

COLUMNS = ["kind", "occurred_at", "customer_id", "currency", "amount_minor"]


def upgrade() -> None:
    op.create_index("ix_interactions_kind_occurred_cover", "interactions", COLUMNS)
    op.drop_index("ix_interactions_kind_occurred", "interactions")


def downgrade() -> None:
    op.create_index("ix_interactions_kind_occurred", "interactions", ["kind", "occurred_at"])
    op.drop_index("ix_interactions_kind_occurred_cover", "interactions")
