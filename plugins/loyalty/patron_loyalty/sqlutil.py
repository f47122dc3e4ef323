"""Small SQL helpers that give the same results on SQLite and PostgreSQL.

Each one exists because the two engines differ: float-to-integer casts
(SQLite truncates, PostgreSQL rounds), month arithmetic (SQLite overflows
31 January + 1 month into March, PostgreSQL clamps), upserts and row locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, Table, cast, func, literal_column, select
from sqlalchemy.orm import Session


def dialect(session: Session) -> str:
    """``sqlite`` or ``postgresql``: the engine behind ``session``."""
    return session.get_bind().dialect.name


def floor_nonneg(session: Session, expr: ColumnElement[Any]) -> ColumnElement[int]:
    """``floor(expr)`` as a BIGINT for non-negative ``expr`` on both engines."""
    if dialect(session) == "sqlite":
        return cast(expr, BigInteger)  # SQLite's cast truncates, which is floor for x >= 0
    return cast(func.floor(expr), BigInteger)


def month_bucket(session: Session, column: ColumnElement[Any]) -> ColumnElement[str]:
    """``YYYY-MM`` of a UTC timestamp column."""
    if dialect(session) == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def month_start_after(session: Session, column: ColumnElement[Any], months: int) -> ColumnElement[Any]:
    """The first instant (UTC) of the month ``months`` after the month of ``column``.

    Month starts never overflow, so both engines agree on every date.
    """
    if dialect(session) == "sqlite":
        # Same text shape as SQLAlchemy's SQLite DATETIME storage, so comparisons stay textual-correct.
        return func.strftime("%Y-%m-%d %H:%M:%S.000000", column, "start of month", f"+{int(months)} months")
    return func.date_trunc("month", column, "UTC") + literal_column(f"interval '{int(months)} months'")


def insert_ignore(session: Session, table: Table, *, index_elements: Sequence[str]) -> Any:
    """An INSERT that skips rows conflicting on ``index_elements`` (ON CONFLICT DO NOTHING)."""
    if dialect(session) == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table), lambda stmt: stmt.on_conflict_do_nothing(index_elements=list(index_elements))
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(table), lambda stmt: stmt.on_conflict_do_nothing(index_elements=list(index_elements))


def lock_accounts(session: Session, customer_ids: Select[Any]) -> None:
    """Lock the existing account rows of the customers ``customer_ids`` selects.

    On PostgreSQL the rows are locked ``FOR UPDATE`` in id order, so every writer
    (earning, redemption, expiry) serialises per customer without deadlocking.
    On SQLite writers already hold the database write lock (``BEGIN IMMEDIATE``,
    or the import's own first INSERT), so there is nothing to do. A customer
    without an account has no lots, so there is nothing to race on.
    """
    from patron_loyalty.models import LoyaltyAccount

    if dialect(session) == "postgresql":
        session.execute(
            select(LoyaltyAccount.customer_id)
            .where(LoyaltyAccount.customer_id.in_(customer_ids))
            .order_by(LoyaltyAccount.customer_id)
            .with_for_update()
        )


def upsert_accounts(session: Session, totals: Select[Any]) -> Any:
    """INSERT … SELECT ``(customer_id, points, updated_at)`` into the accounts, adding to existing balances."""
    from patron_loyalty.models import LoyaltyAccount

    table = LoyaltyAccount.__table__
    if dialect(session) == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    stmt = dialect_insert(table).from_select(["customer_id", "balance", "updated_at"], totals)
    return stmt.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={"balance": table.c.balance + stmt.excluded.balance, "updated_at": stmt.excluded.updated_at},
    )
