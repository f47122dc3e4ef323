"""The RFM plugin's tables: one snapshot per as-of date, one score row per customer and snapshot."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from patron.models import Base, Id, utcnow


class RfmSnapshot(Base):
    """A stored scoring run: its as-of date (unique: re-scoring replaces it) and the parameters used."""

    __tablename__ = "rfm_snapshots"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, unique=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    customers: Mapped[int] = mapped_column(Integer)


class RfmScore(Base):
    """One customer's metrics, scores, segment and ABC tier in one snapshot.

    ``monetary_minor`` is purchases minus refunds in integer minor units;
    ``recency_days`` is whole days from the last purchase to the as-of date.

    No foreign keys and no index besides the primary key (migration ``rfm_0002``):
    each was paid row by row on every snapshot write. Rows are only written by
    ``snapshots.score`` from a join with ``customers`` and deleted with their
    snapshot (``score``) or their customer (``privacy.erase``).
    """

    __tablename__ = "rfm_scores"
    # The primary key serves every read: per snapshot, and per customer through the snapshot ids (privacy).

    snapshot_id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, primary_key=True)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary_minor: Mapped[int] = mapped_column(BigInteger)
    r_score: Mapped[int] = mapped_column(SmallInteger)
    f_score: Mapped[int] = mapped_column(SmallInteger)
    m_score: Mapped[int] = mapped_column(SmallInteger)
    segment: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(1))
