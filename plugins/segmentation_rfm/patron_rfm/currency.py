"""The currency a snapshot's monetary values are in, and money cells for people to read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patron.contracts import as_of_instant
from patron.money import Money
from patron.reports.sqlparts import main_currency

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron_rfm.models import RfmSnapshot


def snapshot_currency(session: Session, snapshot: RfmSnapshot) -> str:
    """The currency monetary values are in: the one most purchases before the snapshot's as_of use."""
    return main_currency(session, as_of_instant(snapshot.as_of)) or "USD"


def money_cell(minor: Any, currency: str) -> Money:
    """A (possibly fractional, e.g. a mean) amount in minor units as a ``Money`` cell, rounded half-even."""
    return Money.rounded(minor or 0, currency)
