"""probe: notes table.

Revision ID: probe_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from patron.models import Id

revision = "probe_0001"
down_revision = None
branch_labels = ("probe",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "probe_notes",
        sa.Column("id", Id, primary_key=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("subject_id", Id, nullable=False),
        sa.Column("customer_id", Id, sa.ForeignKey("customers.id", name="fk_probe_notes_customer_id_customers")),
        sa.Column("text", sa.String(255)),
    )


def downgrade() -> None:
    op.drop_table("probe_notes")
