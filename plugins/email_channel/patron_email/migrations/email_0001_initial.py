"""email: send log, suppression list, bounces, and the suppression hash key.

Revision ID: email_0001
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from patron.models import Id, UTCDateTime

revision = "email_0001"
down_revision = None
branch_labels = ("email",)
depends_on = None


def _customer_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("customers.id", name=f"fk_{table}_customer_id_customers", ondelete="RESTRICT")


def upgrade() -> None:
    op.create_table(
        "email_sends",
        sa.Column("id", Id, primary_key=True),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("customer_id", Id, _customer_fk("email_sends"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("address", sa.String(320)),
        sa.Column("message_id", sa.String(255)),
        sa.Column("smtp_reply", sa.String(500)),
        sa.Column("template", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(32)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.UniqueConstraint("campaign", "customer_id", name="uq_email_sends_campaign_customer"),
        sa.CheckConstraint("state IN ('claimed', 'sent', 'failed', 'skipped', 'unknown')", name="ck_email_sends_state"),
    )
    op.create_index("ix_email_sends_customer", "email_sends", ["customer_id", "id"])
    op.create_index("ix_email_sends_message_id", "email_sends", ["message_id"])
    op.create_table(
        "email_suppressions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("address", sa.String(320)),
        sa.Column("customer_id", Id, _customer_fk("email_suppressions")),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("campaign", sa.String(200)),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("address_hash", name="uq_email_suppressions_address_hash"),
        sa.UniqueConstraint("address", name="uq_email_suppressions_address"),
    )
    op.create_table(
        "email_bounces",
        sa.Column("id", Id, primary_key=True),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("customer_id", Id, _customer_fk("email_bounces")),
        sa.Column("address", sa.String(320)),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("diagnostic", sa.String(500)),
        sa.Column("campaign", sa.String(200)),
        sa.Column("original_message_id", sa.String(255)),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("source_id", name="uq_email_bounces_source_id"),
    )
    op.create_index("ix_email_bounces_address", "email_bounces", ["address_hash", "kind"])
    keys = op.create_table(
        "email_keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    # A random key per database: suppression hashes cannot be matched against another database's.
    op.bulk_insert(keys, [{"name": "suppression_hash", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    for table in ("email_keys", "email_bounces", "email_suppressions", "email_sends"):
        op.drop_table(table)
