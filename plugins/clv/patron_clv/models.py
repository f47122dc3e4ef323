"""The CLV plugin's tables: one fit per calibration end, one row per customer and fit.

A fit stores the models' parameters, standard errors, 95 % intervals and
log-likelihoods (``params``) and the holdout validation (``validation``) beside
the per-customer predictions, so every stored number can be traced to the
model that produced it. Money is in the currency's minor units (floats: they
are expectations, not amounts that were paid).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from patron.models import Base, Id, utcnow


class ClvFit(Base):
    """A stored fit: calibration end (unique: refitting replaces it), settings, estimates, validation."""

    __tablename__ = "clv_fits"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    calibration_end: Mapped[date] = mapped_column(Date, unique=True)
    holdout_end: Mapped[date | None] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    unit: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str | None] = mapped_column(String(3))
    horizon_months: Mapped[int] = mapped_column(Integer)
    monthly_discount_rate: Mapped[float] = mapped_column(Float)
    customers: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    validation: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ClvScore(Base):
    """One customer's summary and predictions in one fit.

    ``frequency`` is repeat purchase days, ``recency`` and ``tenure`` (the models'
    T) are in the fit's unit; ``mean_value_minor`` is the mean net value of the
    repeat purchase days (None without repeats); ``clv_rank`` is 1 for the
    highest CLV (ties by customer id).
    """

    __tablename__ = "clv_scores"
    # The primary key serves per-fit reads; this index serves per-customer ones (panel, show, export, erase).
    __table_args__ = (Index("ix_clv_scores_customer", "customer_id"),)

    fit_id: Mapped[int] = mapped_column(Id, ForeignKey("clv_fits.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    frequency: Mapped[int] = mapped_column(Integer)
    recency: Mapped[float] = mapped_column(Float)
    tenure: Mapped[float] = mapped_column(Float)
    mean_value_minor: Mapped[float | None] = mapped_column(Float)
    total_value_minor: Mapped[int] = mapped_column(BigInteger)
    p_alive: Mapped[float] = mapped_column(Float)
    expected_purchases: Mapped[float] = mapped_column(Float)
    expected_spend_minor: Mapped[float] = mapped_column(Float)
    clv_minor: Mapped[float] = mapped_column(Float)
    clv_rank: Mapped[int] = mapped_column(Integer)
