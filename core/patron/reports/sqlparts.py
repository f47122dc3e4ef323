"""SQL pieces that differ between SQLite and PostgreSQL, behind one small API.

Reports build their queries with these so the same code runs on both engines
(and gives the same numbers): month bucketing and money in major units.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func


def month_key(dialect: str, column: Any) -> ColumnElement[str]:
    """``'YYYY-MM'`` of a UTC timestamp column, computed by the database.

    SQLite stores Patron timestamps as naive UTC text, so ``strftime`` reads them
    directly; PostgreSQL stores ``timestamptz``, which is converted to UTC first
    so the session's time zone cannot move a purchase into another month.
    """
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def day_key(dialect: str, column: Any) -> ColumnElement[str]:
    """``'YYYY-MM-DD'`` of a UTC timestamp column, computed by the database (see ``month_key``)."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


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
