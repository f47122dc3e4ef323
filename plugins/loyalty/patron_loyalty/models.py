"""The loyalty tables: ledger, lots and their uses, account cache, tier state and history.

The ledger is the truth and is append-only (the migration installs triggers
refusing DELETE and changes to amounts; GDPR erasure only blanks free text).
``LoyaltyAccount.balance`` caches the sum of a customer's entries; ``check``
proves they agree. Every positive entry opens a ``LoyaltyLot``; debits consume
lots oldest-expiring first and each consumption is a ``LoyaltyLotUse`` row, so
``points = remaining + absorbed + sum(uses)`` holds for every lot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from patron.models import Base, Id, utcnow


class LedgerEntry(Base):
    """One signed movement of points. ``kind``: earn, redeem, expire, adjust, reverse.

    ``idempotency_key`` is unique: earning uses ``earn:<interaction id>``, a
    clawback ``reverse:<refund interaction id>``, expiry ``expire:<lot id>``, so a
    rerun can never write the same movement twice. ``batch`` groups the entries
    written by one operation so follow-up statements can address them set-wise
    (with ``id > floor``, see ``ledger.Batch``). Earn entries name their purchase in
    ``interaction_id``; clawbacks name the refund there and the purchase in ``purchase_id``.
    """

    __tablename__ = "loyalty_ledger"
    __table_args__ = (
        # Points included: balances (SUM per customer) are read from the index alone.
        Index("ix_loyalty_ledger_customer_points", "customer_id", "id", "points"),
        # Only clawbacks name a purchase: a partial index costs earning nothing.
        Index(
            "ix_loyalty_ledger_purchase",
            "purchase_id",
            sqlite_where=text("purchase_id IS NOT NULL"),
            postgresql_where=text("purchase_id IS NOT NULL"),
        ),
        # Only expiry entries name a lot: clawbacks look up what expired from a purchase's lot.
        Index(
            "ix_loyalty_ledger_lot",
            "lot_id",
            sqlite_where=text("lot_id IS NOT NULL"),
            postgresql_where=text("lot_id IS NOT NULL"),
        ),
        CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'adjust', 'reverse')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))
    interaction_id: Mapped[int | None] = mapped_column(Id)
    purchase_id: Mapped[int | None] = mapped_column(Id)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    lot_id: Mapped[int | None] = mapped_column(Id)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str | None] = mapped_column(String(255))
    batch: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltyLot(Base):
    """Points opened by one positive entry, consumed oldest-expiring first."""

    __tablename__ = "loyalty_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND absorbed >= 0 AND remaining + absorbed <= points", name="bounds"),
        Index("ix_loyalty_lots_customer", "customer_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Id, ForeignKey("loyalty_ledger.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    absorbed: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[datetime | None]


class LoyaltyLotUse(Base):
    """How many points one debit entry took from one lot."""

    __tablename__ = "loyalty_lot_uses"
    __table_args__ = (CheckConstraint("points > 0", name="positive"), Index("ix_loyalty_lot_uses_lot", "lot_id"))

    entry_id: Mapped[int] = mapped_column(Id, ForeignKey("loyalty_ledger.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(Id, ForeignKey("loyalty_lots.id"), primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)


class LoyaltyAccount(Base):
    """Cached balance of one customer: always equal to the sum of their ledger entries."""

    __tablename__ = "loyalty_accounts"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltyTier(Base):
    """The current tier of one customer under ``scheme``; ``below_since`` starts a grace period."""

    __tablename__ = "loyalty_tiers"
    __table_args__ = (Index("ix_loyalty_tiers_tier", "scheme", "tier"),)

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(100))
    since: Mapped[datetime]
    below_since: Mapped[datetime | None]
    reviewed_at: Mapped[datetime]


class LoyaltyTierChange(Base):
    """One tier change: from, to, when (the review's as-of time), why, and which review."""

    __tablename__ = "loyalty_tier_history"
    __table_args__ = (
        Index("ix_loyalty_tier_history_customer", "customer_id", "id"),
        Index("ix_loyalty_tier_history_review", "review"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    scheme: Mapped[str] = mapped_column(String(100))
    from_tier: Mapped[str | None] = mapped_column(String(100))
    to_tier: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(32))
    review: Mapped[str] = mapped_column(String(32))


class LoyaltyTierReview(Base):
    """Work table of one ``tiers recompute``: the proposed state, applied then deleted."""

    __tablename__ = "loyalty_tier_reviews"

    review: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, primary_key=True)
    old_tier: Mapped[str | None] = mapped_column(String(100))
    new_tier: Mapped[str] = mapped_column(String(100))
    below_since: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(32))
