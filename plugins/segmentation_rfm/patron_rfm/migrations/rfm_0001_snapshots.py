"""rfm: snapshots and per-customer scores.

Revision ID: rfm_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from patron.models import Id, Json, UTCDateTime

revision = "rfm_0001"
down_revision = None
branch_labels = ("rfm",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rfm_snapshots",
        sa.Column("id", Id, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rfm_snapshots"),
        sa.UniqueConstraint("as_of", name="uq_rfm_snapshots_as_of"),
    )
    op.create_table(
        "rfm_scores",
        sa.Column("snapshot_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("recency_days", sa.Integer, nullable=False),
        sa.Column("frequency", sa.Integer, nullable=False),
        sa.Column("monetary_minor", sa.BigInteger, nullable=False),
        sa.Column("r_score", sa.SmallInteger, nullable=False),
        sa.Column("f_score", sa.SmallInteger, nullable=False),
        sa.Column("m_score", sa.SmallInteger, nullable=False),
        sa.Column("segment", sa.String(100), nullable=False),
        sa.Column("tier", sa.String(1), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", "customer_id", name="pk_rfm_scores"),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["rfm_snapshots.id"], name="fk_rfm_scores_snapshot_id_rfm_snapshots", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_rfm_scores_customer_id_customers"),
    )
    op.create_index("ix_rfm_scores_customer", "rfm_scores", ["customer_id"])


def downgrade() -> None:
    op.drop_table("rfm_scores")
    op.drop_table("rfm_snapshots")
