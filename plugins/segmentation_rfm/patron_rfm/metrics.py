"""Per-customer RFM metrics as one set-based SELECT (no Python loop over customers).

A customer is measured when they have at least one purchase in the window
``[as_of − window_days, as_of)`` and have not been erased:

- ``recency_days``: whole days (floored) from the last purchase to ``as_of`` (midnight UTC),
  counted from the purchase's whole second (fractions of a second are ignored);
- ``frequency``: the number of purchases;
- ``monetary_minor``: purchase amounts minus refund amounts, integer minor units.

Refunds follow the core convention (``patron.kinds``): kind ``refund``, a positive
``amount_minor`` (the money given back), subtracted through ``net_amount``.
``as_of`` follows the contract (``patron.contracts``): only data before 00:00 UTC
of the as-of day counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, and_, case, cast, func, select
from sqlalchemy.orm import Session

from patron.contracts import as_of_instant
from patron.kinds import REFUND, net_amount
from patron.models import Customer, Interaction
from patron.sql import day_diff


@dataclass(frozen=True)
class Window:
    """The as-of date, the optional window length and the interaction kinds that count."""

    as_of: date
    window_days: int | None
    purchase_kinds: tuple[str, ...]

    @property
    def end(self) -> datetime:
        """The exclusive end of the window: midnight UTC of ``as_of``."""
        return as_of_instant(self.as_of)

    @property
    def start(self) -> datetime | None:
        """The inclusive start, or None for all history."""
        return None if self.window_days is None else self.end - timedelta(days=self.window_days)


def default_as_of(session: Session) -> date:
    """The day after the last interaction of any kind (today, UTC, on an empty database)."""
    last = session.scalar(select(func.max(Interaction.occurred_at)))
    if last is None:
        return datetime.now(UTC).date()
    # MAX over the column keeps its type on PostgreSQL but is raw text on SQLite.
    moment = last if isinstance(last, datetime) else datetime.fromisoformat(str(last))
    return moment.date() + timedelta(days=1)


def metrics_query(window: Window, dialect: str) -> Select[Any]:
    """SELECT ``customer_id, recency_days, frequency, monetary_minor`` for every measured customer."""
    is_purchase = Interaction.kind.in_(window.purchase_kinds)
    amount = func.coalesce(Interaction.amount_minor, 0)
    kinds = (*window.purchase_kinds, REFUND)
    # Configured purchase kinds add their amount; everything else is signed by the core convention.
    signed = case((is_purchase, amount), else_=func.coalesce(net_amount(Interaction), 0))
    conditions = [Interaction.occurred_at < window.end, Interaction.kind.in_(kinds)]
    if window.start is not None:
        conditions.append(Interaction.occurred_at >= window.start)
    grouped = (
        select(
            Interaction.customer_id.label("customer_id"),
            func.max(case((is_purchase, Interaction.occurred_at))).label("last_purchase"),
            func.sum(case((is_purchase, 1), else_=0)).label("frequency"),
            func.sum(signed).label("monetary_minor"),
        )
        .join(Customer, and_(Customer.id == Interaction.customer_id, Customer.erased_at.is_(None)))
        .where(*conditions)
        .group_by(Interaction.customer_id)
        .having(func.sum(case((is_purchase, 1), else_=0)) > 0)
        .subquery("grouped")
    )
    return select(
        grouped.c.customer_id,
        day_diff(window.end, grouped.c.last_purchase, dialect).label("recency_days"),
        cast(grouped.c.frequency, Integer).label("frequency"),
        cast(grouped.c.monetary_minor, BigInteger).label("monetary_minor"),
    )
