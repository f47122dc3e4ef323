"""SQL pieces that differ between SQLite and PostgreSQL, behind one small API.

Reports build their queries with these so the same code runs on both engines
(and gives the same numbers): month bucketing and money in major units.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func

#: ISO 4217 currencies whose minor unit is not a hundredth (the rest have 2 decimals).
MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3, "JOD": 3}


def month_key(dialect: str, column: Any) -> ColumnElement[str]:
    """``'YYYY-MM'`` of a UTC timestamp column, computed by the database.

    SQLite stores Patron timestamps as naive UTC text, so ``strftime`` reads them
    directly; PostgreSQL stores ``timestamptz``, which is converted to UTC first
    so the session's time zone cannot move a purchase into another month.
    """
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def month_range(first: date, count: int) -> list[str]:
    """``count`` consecutive ``'YYYY-MM'`` keys starting at ``first``'s month."""
    keys = []
    year, month = first.year, first.month
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return keys


def months_back(last: date, count: int) -> date:
    """The first day of the month ``count - 1`` months before ``last``'s month."""
    index = last.year * 12 + (last.month - 1) - (count - 1)
    return date(index // 12, index % 12 + 1, 1)


def major_units(minor: int | None, currency: str | None) -> Decimal:
    """Integer minor units → an exact Decimal in major units (``1999, 'EUR'`` → ``19.99``)."""
    digits = MINOR_DIGITS.get((currency or "").upper(), 2)
    return Decimal(int(minor or 0)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))
