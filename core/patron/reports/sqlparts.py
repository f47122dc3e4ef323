"""SQL pieces that differ between SQLite and PostgreSQL, behind one small API.

Reports build their queries with these so the same code runs on both engines
(and gives the same numbers): month bucketing and money in major units; and the
currency a report's money figures default to (``main_currency``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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


def month_bucket(dialect: str, column: Any) -> ColumnElement[Any]:
    """The month of a UTC timestamp column as a GROUP BY key that is cheap per row; read it with ``bucket_month``.

    ``month_key`` formats every row before grouping (``strftime``, ``to_char``), which on a
    million rows costs more than the grouping itself. This groups by the month's
    prefix of SQLite's stored text (``'YYYY-MM'``) or by PostgreSQL's ``date_trunc`` in
    UTC (the first instant of the month, as a naive UTC timestamp), and leaves the
    formatting to the few grouped rows.
    """
    if dialect == "sqlite":
        return func.substr(column, 1, 7)
    return func.date_trunc("month", func.timezone("UTC", column))


def bucket_month(value: str | datetime) -> str:
    """``'YYYY-MM'`` of a value read back from a ``month_bucket`` column (text on SQLite, a timestamp on PostgreSQL)."""
    if isinstance(value, str):
        return value[:7]
    return f"{value.year:04d}-{value.month:02d}"


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


def main_currency(session: Session, before: datetime) -> str | None:
    """The currency most purchases before ``before`` are in (ties: the first by code); None without any.

    What a report's (or a panel's) money figures are in when nobody chose one. Most
    shops sell in one currency: two probes that stop at their first row (any
    currency, then any other) answer that without counting every purchase; only a
    shop with several currencies pays for the count.
    """
    from patron.kinds import PURCHASE
    from patron.models import Interaction

    purchases = (Interaction.kind == PURCHASE, Interaction.currency.is_not(None), Interaction.occurred_at < before)
    first = session.scalar(select(Interaction.currency).where(*purchases).limit(1))
    if first is None:
        return None
    if session.scalar(select(Interaction.id).where(*purchases, Interaction.currency != first).limit(1)) is None:
        return first
    query = (
        select(Interaction.currency)
        .where(*purchases)
        .group_by(Interaction.currency)
        .order_by(func.count().desc(), Interaction.currency)
        .limit(1)
    )
    return session.scalar(query)
