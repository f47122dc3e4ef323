"""Core tables: customers, interactions, consents (append-only), audit_events.

Revision ID: core_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from patron.models import Id, Json, UTCDateTime

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None

APPEND_ONLY_MESSAGE = "consents is an append-only log: record a new entry instead of changing one"


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", Id, primary_key=True),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(64)),
        sa.Column("attributes", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("erased_at", UTCDateTime()),
        sa.UniqueConstraint("external_id", name="uq_customers_external_id"),
    )
    op.create_index("ix_customers_email", "customers", ["email"])
    op.create_table(
        "interactions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column(
            "customer_id",
            Id,
            sa.ForeignKey("customers.id", ondelete="RESTRICT", name="fk_interactions_customer_id_customers"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64)),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("payload", Json, nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("external_id", name="uq_interactions_external_id"),
        sa.CheckConstraint("(amount_minor IS NULL) = (currency IS NULL)", name="ck_interactions_amount_has_currency"),
    )
    op.create_index("ix_interactions_customer_occurred", "interactions", ["customer_id", "occurred_at"])
    op.create_index("ix_interactions_kind_occurred", "interactions", ["kind", "occurred_at"])
    op.create_table(
        "consents",
        sa.Column("id", Id, primary_key=True),
        sa.Column(
            "customer_id",
            Id,
            sa.ForeignKey("customers.id", ondelete="RESTRICT", name="fk_consents_customer_id_customers"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_consents_lookup", "consents", ["customer_id", "channel", "purpose", "occurred_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", Id, primary_key=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(255)),
        sa.Column("details", Json, nullable=False),
    )
    op.create_index("ix_audit_events_entity", "audit_events", ["entity", "entity_id"])
    _append_only_consents()


def _append_only_consents() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER consents_no_{event.lower()} BEFORE {event} ON consents "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION patron_consents_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents "
            "FOR EACH ROW EXECUTE FUNCTION patron_consents_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER consents_append_only ON consents")
        op.execute("DROP FUNCTION patron_consents_append_only()")
    op.drop_table("audit_events")
    op.drop_table("consents")
    op.drop_table("interactions")
    op.drop_table("customers")
