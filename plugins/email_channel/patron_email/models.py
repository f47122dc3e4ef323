"""The email plugin's tables: the send log, the suppression list, bounces, and its hash key.

``email_sends`` is the idempotent send log: one row per (campaign, customer),
whose ``state`` moves ``claimed`` → ``sent`` | ``failed``, or is ``skipped``
(with a ``reason``) or ``unknown`` (a run died between claiming the row and
recording the SMTP server's answer; see ``sending``).

``email_suppressions`` is the do-not-mail list. It always wins over consent.
``address_hash`` is an HMAC of the normalised address under the key in
``email_keys``; erasure nulls ``address`` and keeps the hash, so an erased
address is still never mailed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from patron.models import Base, Id, utcnow

SEND_STATES = ("claimed", "sent", "failed", "skipped", "unknown")
SUPPRESSION_REASONS = ("unsubscribed", "hard_bounce", "complaint", "soft_bounces", "manual")
BOUNCE_KINDS = ("hard", "soft", "complaint")


class EmailSend(Base):
    """One message of one campaign to one customer, and what became of it."""

    __tablename__ = "email_sends"
    __table_args__ = (
        UniqueConstraint("campaign", "customer_id", name="uq_email_sends_campaign_customer"),
        CheckConstraint("state IN ('claimed', 'sent', 'failed', 'skipped', 'unknown')", name="ck_email_sends_state"),
        Index("ix_email_sends_customer", "customer_id", "id"),
        Index("ix_email_sends_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(320))
    message_id: Mapped[str | None] = mapped_column(String(255))
    smtp_reply: Mapped[str | None] = mapped_column(String(500))
    template: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class EmailSuppression(Base):
    """One address that is never mailed: unsubscribed, bounced hard, complained, or added by hand."""

    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str | None] = mapped_column(String(320), unique=True)
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(String(32))
    campaign: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailBounce(Base):
    """One bounce or complaint read from a DSN or ARF report (idempotent on ``source_id``)."""

    __tablename__ = "email_bounces"
    __table_args__ = (Index("ix_email_bounces_address", "address_hash", "kind"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(255), unique=True)
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    address: Mapped[str | None] = mapped_column(String(320))
    address_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    diagnostic: Mapped[str | None] = mapped_column(String(500))
    campaign: Mapped[str | None] = mapped_column(String(200))
    original_message_id: Mapped[str | None] = mapped_column(String(255))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailKey(Base):
    """Keys the plugin keeps in its own database (the suppression hash key, made by the migration)."""

    __tablename__ = "email_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
