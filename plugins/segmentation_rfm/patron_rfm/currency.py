"""The currency a snapshot's monetary values are in, and money cells for people to read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from patron.contracts import as_of_instant
from patron.kinds import PURCHASE
from patron.models import Interaction
from patron.money import Money

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron_rfm.models import RfmSnapshot


def snapshot_currency(session: Session, snapshot: RfmSnapshot) -> str:
    """The currency monetary values are in: the one most purchases before the snapshot's as_of use."""
    code = session.scalar(
        select(Interaction.currency)
        .where(
            Interaction.kind == PURCHASE,
            Interaction.currency.is_not(None),
            Interaction.occurred_at < as_of_instant(snapshot.as_of),
        )
        .group_by(Interaction.currency)
        .order_by(func.count().desc(), Interaction.currency)
        .limit(1)
    )
    return code or "USD"


def money_cell(minor: Any, currency: str) -> Money:
    """A (possibly fractional, e.g. a mean) amount in minor units as a ``Money`` cell, rounded half-even."""
    return Money.rounded(minor or 0, currency)
