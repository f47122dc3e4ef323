"""clv: fits and per-customer predictions.

Revision ID: clv_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from patron.models import Id, Json, UTCDateTime

revision = "clv_0001"
down_revision = None
branch_labels = ("clv",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clv_fits",
        sa.Column("id", Id, primary_key=True),
        sa.Column("calibration_end", sa.Date, nullable=False),
        sa.Column("holdout_end", sa.Date, nullable=True),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("horizon_months", sa.Integer, nullable=False),
        sa.Column("monthly_discount_rate", sa.Float, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("validation", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clv_fits"),
        sa.UniqueConstraint("calibration_end", name="uq_clv_fits_calibration_end"),
    )
    op.create_table(
        "clv_scores",
        sa.Column("fit_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("frequency", sa.Integer, nullable=False),
        sa.Column("recency", sa.Float, nullable=False),
        sa.Column("tenure", sa.Float, nullable=False),
        sa.Column("mean_value_minor", sa.Float, nullable=True),
        sa.Column("total_value_minor", sa.BigInteger, nullable=False),
        sa.Column("p_alive", sa.Float, nullable=False),
        sa.Column("expected_purchases", sa.Float, nullable=False),
        sa.Column("expected_spend_minor", sa.Float, nullable=False),
        sa.Column("clv_minor", sa.Float, nullable=False),
        sa.Column("clv_rank", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("fit_id", "customer_id", name="pk_clv_scores"),
        sa.ForeignKeyConstraint(["fit_id"], ["clv_fits.id"], name="fk_clv_scores_fit_id_clv_fits", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_clv_scores_customer_id_customers"),
    )
    op.create_index("ix_clv_scores_customer", "clv_scores", ["customer_id"])


def downgrade() -> None:
    op.drop_table("clv_scores")
    op.drop_table("clv_fits")
