"""rfm: score rows carry no foreign keys and no per-customer index: a snapshot write pays for neither.

A foreign key is checked row by row as rows are inserted: on PostgreSQL two
trigger calls per score row (snapshot and customer), which took about a third
of ``rfm score`` at 10,000 customers and kept it at twice a hand-written
SELECT of the same scores. The index on ``customer_id`` cost another tenth of
the write; its readers (a customer's export and erasure) now probe the primary
key ``(snapshot_id, customer_id)`` once per snapshot instead. What the keys guaranteed still holds by
construction: score rows are only written by the snapshot's INSERT … SELECT
joined to ``customers`` (customers are never deleted, only erased), and they are
deleted explicitly with their snapshot (``snapshots.score``) or their customer
(``privacy.erase``), which the ``ON DELETE CASCADE`` of the snapshot key did before.

Revision ID: rfm_0002
Revises: rfm_0001
"""

from __future__ import annotations

from alembic import op

revision = "rfm_0002"
down_revision = "rfm_0001"
branch_labels = None
depends_on = None

SNAPSHOT_KEY = "fk_rfm_scores_snapshot_id_rfm_snapshots"
CUSTOMER_KEY = "fk_rfm_scores_customer_id_customers"


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a constraint in place, so the table is copied (PostgreSQL alters it).
    op.drop_index("ix_rfm_scores_customer", "rfm_scores")
    with op.batch_alter_table("rfm_scores") as batch:
        batch.drop_constraint(SNAPSHOT_KEY, type_="foreignkey")
        batch.drop_constraint(CUSTOMER_KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("rfm_scores") as batch:
        batch.create_foreign_key(SNAPSHOT_KEY, "rfm_snapshots", ["snapshot_id"], ["id"], ondelete="CASCADE")
        batch.create_foreign_key(CUSTOMER_KEY, "customers", ["customer_id"], ["id"])
    op.create_index("ix_rfm_scores_customer", "rfm_scores", ["customer_id"])
