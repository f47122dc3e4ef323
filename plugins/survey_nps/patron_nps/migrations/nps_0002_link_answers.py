"""nps: answers given through an invitation's score links (the current one per invitation, and those replaced).

Revision ID: nps_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from patron.models import Id

revision = "nps_0002"
down_revision = "nps_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nps_link_answers",
        sa.Column("interaction_id", Id, nullable=False),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("interaction_id", name="pk_nps_link_answers"),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name="fk_nps_link_answers_interaction_id_interactions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_nps_link_answers_customer_id_customers"),
    )
    op.create_index("ix_nps_link_answers_invitation", "nps_link_answers", ["campaign", "customer_id"])


def downgrade() -> None:
    op.drop_table("nps_link_answers")
