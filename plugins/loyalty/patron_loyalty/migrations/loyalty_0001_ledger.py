"""loyalty: ledger (append-only), lots, lot uses, accounts, tiers, tier history, review work table.

Revision ID: loyalty_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from patron.models import Id, UTCDateTime

revision = "loyalty_0001"
down_revision = None
branch_labels = ("loyalty",)
depends_on = None

APPEND_ONLY = "loyalty_ledger is append-only: write a new entry (adjust or reverse) instead of changing one"
CUSTOMER_FK = "customers.id"


def _fk(table: str, column: str = "customer_id", target: str = CUSTOMER_FK) -> sa.ForeignKey:
    return sa.ForeignKey(target, name=f"fk_{table}_{column}_{target.split('.')[0]}", ondelete="RESTRICT")


def upgrade() -> None:
    op.create_table(
        "loyalty_ledger",
        sa.Column("id", Id, primary_key=True),
        sa.Column("customer_id", Id, _fk("loyalty_ledger"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("interaction_id", Id),
        sa.Column("purchase_id", Id),
        sa.Column("amount_minor", sa.BigInteger),
        sa.Column("lot_id", Id),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("actor", sa.String(255)),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_loyalty_ledger_idempotency_key"),
        sa.CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'adjust', 'reverse')", name="ck_loyalty_ledger_kind"),
    )
    op.create_index("ix_loyalty_ledger_customer", "loyalty_ledger", ["customer_id", "id"])
    # Only clawbacks name a purchase: a partial index costs earning nothing.
    op.create_index(
        "ix_loyalty_ledger_purchase",
        "loyalty_ledger",
        ["purchase_id"],
        sqlite_where=sa.text("purchase_id IS NOT NULL"),
        postgresql_where=sa.text("purchase_id IS NOT NULL"),
    )
    op.create_table(
        "loyalty_lots",
        sa.Column(
            "id", Id, sa.ForeignKey("loyalty_ledger.id", name="fk_loyalty_lots_id_loyalty_ledger"), primary_key=True
        ),
        sa.Column("customer_id", Id, _fk("loyalty_lots"), nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("remaining", sa.BigInteger, nullable=False),
        sa.Column("absorbed", sa.BigInteger, nullable=False),
        sa.Column("expires_at", UTCDateTime()),
        sa.CheckConstraint(
            "remaining >= 0 AND absorbed >= 0 AND remaining + absorbed <= points", name="ck_loyalty_lots_bounds"
        ),
    )
    op.create_index("ix_loyalty_lots_customer", "loyalty_lots", ["customer_id", "expires_at"])
    op.create_table(
        "loyalty_lot_uses",
        sa.Column(
            "entry_id",
            Id,
            sa.ForeignKey("loyalty_ledger.id", name="fk_loyalty_lot_uses_entry_id_loyalty_ledger"),
            primary_key=True,
        ),
        sa.Column(
            "lot_id",
            Id,
            sa.ForeignKey("loyalty_lots.id", name="fk_loyalty_lot_uses_lot_id_loyalty_lots"),
            primary_key=True,
        ),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.CheckConstraint("points > 0", name="ck_loyalty_lot_uses_positive"),
    )
    op.create_index("ix_loyalty_lot_uses_lot", "loyalty_lot_uses", ["lot_id"])
    op.create_table(
        "loyalty_accounts",
        sa.Column("customer_id", Id, _fk("loyalty_accounts"), primary_key=True),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "loyalty_tiers",
        sa.Column("customer_id", Id, _fk("loyalty_tiers"), primary_key=True),
        sa.Column("scheme", sa.String(100), nullable=False),
        sa.Column("tier", sa.String(100), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("below_since", UTCDateTime()),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_loyalty_tiers_tier", "loyalty_tiers", ["scheme", "tier"])
    op.create_table(
        "loyalty_tier_history",
        sa.Column("id", Id, primary_key=True),
        sa.Column("customer_id", Id, _fk("loyalty_tier_history"), nullable=False),
        sa.Column("scheme", sa.String(100), nullable=False),
        sa.Column("from_tier", sa.String(100)),
        sa.Column("to_tier", sa.String(100), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("review", sa.String(32), nullable=False),
    )
    op.create_index("ix_loyalty_tier_history_customer", "loyalty_tier_history", ["customer_id", "id"])
    op.create_index("ix_loyalty_tier_history_review", "loyalty_tier_history", ["review"])
    op.create_table(
        "loyalty_tier_reviews",
        sa.Column("review", sa.String(32), primary_key=True),
        sa.Column("customer_id", Id, primary_key=True),
        sa.Column("old_tier", sa.String(100)),
        sa.Column("new_tier", sa.String(100), nullable=False),
        sa.Column("below_since", UTCDateTime()),
        sa.Column("reason", sa.String(32), nullable=False),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    # Amounts, owners and keys never change; only free text may be blanked (erasure).
    guarded = "customer_id, kind, points, source, interaction_id, purchase_id, amount_minor, lot_id, batch"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE TRIGGER loyalty_ledger_no_update BEFORE UPDATE OF {guarded} ON loyalty_ledger "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
        op.execute(
            "CREATE TRIGGER loyalty_ledger_no_delete BEFORE DELETE ON loyalty_ledger "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION loyalty_ledger_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER loyalty_ledger_no_update BEFORE UPDATE OF {guarded} ON loyalty_ledger "
            "FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only()"
        )
        op.execute(
            "CREATE TRIGGER loyalty_ledger_no_delete BEFORE DELETE ON loyalty_ledger "
            "FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER loyalty_ledger_no_update ON loyalty_ledger")
        op.execute("DROP TRIGGER loyalty_ledger_no_delete ON loyalty_ledger")
        op.execute("DROP FUNCTION loyalty_ledger_append_only()")
    for table in (
        "loyalty_tier_reviews",
        "loyalty_tier_history",
        "loyalty_tiers",
        "loyalty_accounts",
        "loyalty_lot_uses",
        "loyalty_lots",
        "loyalty_ledger",
    ):
        op.drop_table(table)
