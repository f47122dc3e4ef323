"""The core entities: Customer, Interaction, Consent, AuditEvent (SQLAlchemy 2 typed ORM).

Plugins declare their own tables on ``Base.metadata`` so foreign keys to these
resolve. The schema is created by Alembic migrations (``patron/migrations``),
never by ``create_all``; a test checks the migrations and these models agree.

Conventions: money is an integer of minor units plus an ISO 4217 currency code;
times are timezone-aware and stored as UTC (``UTCDateTime`` refuses naive ones).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Constraint names fixed by convention so migrations can refer to them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: 64-bit ids on PostgreSQL; INTEGER on SQLite, where only that is the rowid alias.
Id = BigInteger().with_variant(Integer(), "sqlite")
#: JSON documents; JSONB on PostgreSQL so they can be indexed and compared.
Json = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    Naive datetimes are refused: a time without a zone is a bug waiting to
    happen in a system that imports data from many sources.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: Patron stores timezone-aware UTC times only")
        value = value.astimezone(UTC)
        # SQLite has no zone type; store naive UTC text so that ordering and comparisons work.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every Patron table, core and plugins."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: Json}  # noqa: RUF012 - read by SQLAlchemy, never mutated


class Customer(Base):
    """A person or organisation the business deals with.

    ``external_id`` is the id in the source system; imports match on it, so
    importing the same file twice changes nothing. ``attributes`` holds vertical
    fields (e.g. a bank's customer segment) that have no column of their own.
    ``erased_at`` is set when the customer's personal data was erased.
    """

    __tablename__ = "customers"
    __table_args__ = (
        # Erased customers are few: a partial index answers "anyone erased?" and finds them at once.
        Index(
            "ix_customers_erased",
            "erased_at",
            sqlite_where=text("erased_at IS NOT NULL"),
            postgresql_where=text("erased_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None]

    interactions: Mapped[list[Interaction]] = relationship(back_populates="customer", lazy="raise")


class Interaction(Base):
    """Something that happened between the business and a customer.

    ``kind`` is e.g. purchase, refund, email_sent, survey_response, call, ticket.
    Money is ``amount_minor`` (integer minor units, e.g. cents) with ``currency``;
    both are set or both are empty. ``external_id`` is unique so nothing is
    recorded twice.
    """

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint("(amount_minor IS NULL) = (currency IS NULL)", name="amount_has_currency"),
        Index("ix_interactions_customer_occurred", "customer_id", "occurred_at"),
        # Covering for set-based reports: kind and a time range, reading customer, currency and amount only.
        Index("ix_interactions_kind_occurred_cover", "kind", "occurred_at", "customer_id", "currency", "amount_minor"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="interactions", lazy="raise")


class Consent(Base):
    """One entry of the append-only consent log.

    The current consent of a customer for a ``(channel, purpose)`` is the latest
    entry (by ``occurred_at``, then ``id``); see ``patron.consent``. The
    migrations install triggers (``patron.appendonly``) that refuse UPDATE,
    DELETE, SQLite's INSERT OR REPLACE and PostgreSQL's TRUNCATE on this table.
    """

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_lookup", "customer_id", "channel", "purpose", "occurred_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id", ondelete="RESTRICT"))
    channel: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool] = mapped_column(Boolean)
    occurred_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what to which entity, when. Holds ids only, never personal data; append-only."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
