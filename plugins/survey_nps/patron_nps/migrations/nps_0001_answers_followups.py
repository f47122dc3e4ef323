"""nps: typed survey answers and the follow-up queue.

Revision ID: nps_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from patron.models import Id, UTCDateTime

revision = "nps_0001"
down_revision = None
branch_labels = ("nps",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nps_answers",
        sa.Column("interaction_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("survey", sa.String(100), nullable=False),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("touchpoint", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("interaction_id", name="pk_nps_answers"),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name="fk_nps_answers_interaction_id_interactions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_nps_answers_customer_id_customers"),
    )
    op.create_index("ix_nps_answers_survey_occurred", "nps_answers", ["survey", "occurred_at"])
    op.create_index("ix_nps_answers_customer", "nps_answers", ["customer_id"])
    op.create_table(
        "nps_followups",
        sa.Column("id", Id, nullable=False),
        sa.Column("interaction_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("survey", sa.String(100), nullable=False),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("assignee", sa.String(255), nullable=True),
        sa.Column("assigned_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_nps_followups"),
        sa.UniqueConstraint("interaction_id", name="uq_nps_followups_interaction_id"),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name="fk_nps_followups_interaction_id_interactions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_nps_followups_customer_id_customers"),
    )
    op.create_index("ix_nps_followups_customer", "nps_followups", ["customer_id"])
    op.create_index("ix_nps_followups_closed", "nps_followups", ["closed_at"])


def downgrade() -> None:
    op.drop_table("nps_followups")
    op.drop_table("nps_answers")
