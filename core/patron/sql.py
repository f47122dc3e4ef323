"""Portable SQL for plugins: one expression, the same answer on SQLite and PostgreSQL.

The two engines differ in exactly the places a CRM's set-based SQL needs most:
dates (SQLite stores Patron's timestamps as naive UTC text, PostgreSQL as
``timestamptz``), month arithmetic (SQLite overflows 31 January + 1 month into
March, PostgreSQL clamps), float-to-integer casts (SQLite truncates, PostgreSQL
rounds), upserts, row locks, and which failures a retry can cure. Each helper
here hides one of those differences so a plugin never writes
``if dialect == "sqlite"`` itself; the core's own queries use the same helpers.

``dialect`` arguments accept the dialect name (``"sqlite"``, ``"postgresql"``) or
anything bound to a database: a ``Session``, a ``Connection`` or an ``Engine``.

This module is part of the public surface for plugins (docs/public-api.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    Select,
    Table,
    cast,
    func,
    literal,
    literal_column,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from patron.errors import DatabaseError

T = TypeVar("T")

#: A dialect name or anything bound to a database.
Dialect = str | Session | Connection | Engine
#: A column: a Core column expression or a mapped attribute (``Interaction.occurred_at``).
Column = ColumnElement[Any] | QueryableAttribute[Any]
#: The units ``date_trunc`` knows.
TruncUnit = Literal["day", "month", "year"]

SECONDS_PER_DAY = 86_400
#: SQLSTATEs of PostgreSQL failures that succeed when the transaction is retried.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
#: How long a SQLite connection waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option read by the SQLite ``BEGIN`` listener in ``patron.db``: take the write lock at BEGIN.
IMMEDIATE_OPTION = "patron_immediate"

# SQLAlchemy's SQLite DATETIME storage format: helpers that produce timestamps on
# SQLite produce this text shape, so comparisons with stored values stay correct.
_SQLITE_STARTS = {
    "day": "%Y-%m-%d 00:00:00.000000",
    "month": "%Y-%m-01 00:00:00.000000",
    "year": "%Y-01-01 00:00:00.000000",
}


def dialect_name(dialect: Dialect) -> str:
    """``"sqlite"`` or ``"postgresql"``: the engine behind ``dialect``."""
    if isinstance(dialect, str):
        return dialect
    if isinstance(dialect, Session):
        return dialect.get_bind().dialect.name
    return dialect.dialect.name


def is_sqlite(dialect: Dialect) -> bool:
    """True when ``dialect`` is SQLite."""
    return dialect_name(dialect) == "sqlite"


# -- dates ----------------------------------------------------------------------


def _sqlite_time(value: Column | datetime) -> Column:
    if isinstance(value, datetime):
        naive_utc = (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None)
        return literal(naive_utc.isoformat(sep=" "))
    return value


def _pg_time(value: Column | datetime) -> Column:
    if isinstance(value, datetime):
        return literal(value if value.tzinfo else value.replace(tzinfo=UTC), DateTime(timezone=True))
    return value


#: Values per ``IN (...)`` list: under the bound-parameter limits of SQLite and PostgreSQL.
IN_LIST_LIMIT = 5000


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most :data:`IN_LIST_LIMIT`, one ``IN (...)`` list each."""
    for start in range(0, len(values), IN_LIST_LIMIT):
        yield values[start : start + IN_LIST_LIMIT]


def month_bucket(column: Column, dialect: Dialect) -> ColumnElement[str]:
    """``'YYYY-MM'`` of a UTC timestamp, computed by the database.

    On PostgreSQL the value is converted to UTC first, so the session's time zone
    cannot move a purchase into another month.
    """
    if is_sqlite(dialect):
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def day_diff(later: Column | datetime, earlier: Column | datetime, dialect: Dialect) -> ColumnElement[int]:
    """Whole days from ``earlier`` to ``later`` (UTC), floored, as an integer SQL expression.

    Both sides are cut to whole seconds first (SQLite's ``strftime('%s')`` does),
    so the engines agree to the day; ``later - earlier`` of 1.9 days is 1, of
    -0.1 days is -1. Either side may be a column or a ``datetime``.
    """
    if is_sqlite(dialect):
        seconds = cast(func.strftime("%s", _sqlite_time(later)), Integer) - cast(
            func.strftime("%s", _sqlite_time(earlier)), Integer
        )
        # SQLite's integer division truncates toward zero; subtract the true modulo to floor.
        modulo = ((seconds % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY
        return cast((seconds - modulo) // SECONDS_PER_DAY, Integer)
    seconds = func.extract(
        "epoch", func.date_trunc("second", _pg_time(later)) - func.date_trunc("second", _pg_time(earlier))
    )
    return cast(func.floor(seconds / SECONDS_PER_DAY), Integer)


def date_trunc(unit: TruncUnit, column: Column, dialect: Dialect) -> ColumnElement[datetime]:
    """The first instant (UTC) of the day, month or year of ``column``."""
    return _unit_start(unit, column, dialect, 0)


def month_start_after(column: Column, months: int, dialect: Dialect) -> ColumnElement[datetime]:
    """The first instant (UTC) of the month ``months`` after the month of ``column``.

    Month starts never overflow, so both engines agree on every date (adding a
    month to 31 January does not).
    """
    return _unit_start("month", column, dialect, int(months))


def _unit_start(unit: TruncUnit, column: Column, dialect: Dialect, months: int) -> ColumnElement[datetime]:
    if unit not in ("day", "month", "year"):
        raise ValueError(f"date_trunc: unit must be day, month or year, not {unit!r}")
    if is_sqlite(dialect):
        args: list[Any] = [_SQLITE_STARTS[unit], column]
        if months:
            args += ["start of month", f"{months:+d} months"]
        return func.strftime(*args, type_=DateTime())
    start = func.date_trunc(unit, column, "UTC", type_=DateTime(timezone=True))
    if months:
        return start + literal_column(f"interval '{months} months'", DateTime(timezone=True))
    return start


# -- numbers --------------------------------------------------------------------


def floor_nonnegative(expr: Column, dialect: Dialect) -> ColumnElement[int]:
    """``floor(expr)`` as a BIGINT, for ``expr >= 0`` (points, units), the same on both engines."""
    if is_sqlite(dialect):
        return cast(expr, BigInteger)  # SQLite's cast truncates, which is floor for x >= 0
    return cast(func.floor(expr), BigInteger)


# -- plans ----------------------------------------------------------------------


def unindexed(column: Column, dialect: Dialect) -> ColumnElement[Any]:
    """``column`` as a value SQLite's planner will not look up in an index: ``+column`` there, unchanged elsewhere.

    SQLite plans without statistics and takes an equality on an indexed column
    (``kind = 'purchase'``) or an index already in ``GROUP BY``/``PARTITION BY``
    order as the cheapest path, even when the same statement also bounds the
    primary key (``id BETWEEN low AND high``, one batch's rows). It then reads
    every purchase ever stored, or a whole index, once per batch. The unary plus
    is SQLite's documented way to take a term out of index selection; the value
    is unchanged. Use it in filters, groupings and window partitions of
    statements whose rows are best found by a primary-key range. PostgreSQL
    chooses from statistics and gets the column as it is.
    """
    expression = column if isinstance(column, ColumnElement) else column.expression
    if not is_sqlite(dialect):
        return expression
    return UnaryExpression(expression, operator=operators.custom_op("+"), type_=expression.type)


# -- writes ---------------------------------------------------------------------


def _table(target: Table | type[Any]) -> Table:
    if isinstance(target, Table):
        return target
    table = getattr(target, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{target!r} is neither a Table nor a mapped class with a __table__")
    return table


def dialect_insert(target: Table | type[Any], dialect: Dialect) -> sqlite.Insert | postgresql.Insert:
    """An ``INSERT`` into ``target`` (a table or mapped class) that knows ``ON CONFLICT``.

    Both engines' inserts offer ``on_conflict_do_nothing``, ``on_conflict_do_update``
    and ``excluded``, so an upsert is written once.
    """
    if is_sqlite(dialect):
        return sqlite.insert(_table(target))
    return postgresql.insert(_table(target))


def insert_ignore(
    target: Table | type[Any], dialect: Dialect, *, index_elements: Sequence[str]
) -> sqlite.Insert | postgresql.Insert:
    """An ``INSERT`` that skips rows conflicting on ``index_elements`` (``ON CONFLICT DO NOTHING``).

    Add the rows with ``.values(...)`` or ``.from_select(columns, select)``; this
    is how idempotent writes (one ledger entry per source) are made.
    """
    return dialect_insert(target, dialect).on_conflict_do_nothing(index_elements=list(index_elements))


def lock_rows(session: Session, stmt: Select[Any]) -> None:
    """Lock the rows ``stmt`` selects until the transaction ends.

    On PostgreSQL this runs ``stmt`` ``FOR UPDATE``; order ``stmt`` by a key so
    that concurrent writers lock in the same order and never deadlock. On SQLite
    a writer already holds the database write lock (``run_transaction(...,
    immediate=True)`` or its first write), so nothing is executed.
    """
    if not is_sqlite(session):
        session.execute(stmt.with_for_update())


# -- transactions ---------------------------------------------------------------


class HasSessions(Protocol):
    """Anything with a session factory: ``patron.app.App`` is one."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...


def is_retryable(exc: BaseException) -> bool:
    """True for failures that a whole-transaction retry can cure: busy, locked, serialization, deadlock."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database is busy" in message


class DatabaseBusy(DatabaseError):
    """Another command held the database for longer than the busy timeout."""


@contextmanager
def immediate_session(factory: sessionmaker[Session], immediate: bool = False) -> Iterator[Session]:
    """A session in one transaction, committed on success and rolled back on error.

    ``immediate`` takes SQLite's write lock at ``BEGIN``, so two writers cannot
    both read a value and then both write based on it, and a writer never fails
    at once with "database is locked" because another one committed after it
    started reading: it waits (up to ``SQLITE_BUSY_TIMEOUT_MS``) for the lock
    instead, then raises ``DatabaseBusy`` saying so.
    """
    session = factory()
    try:
        if immediate:
            _begin_immediate(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _begin_immediate(session: Session) -> None:
    # SQLite's busy handler waits inside BEGIN IMMEDIATE; a few busy cases return at once instead
    # (e.g. WAL recovery by another process), so BEGIN is retried until the busy timeout is spent.
    # Only BEGIN is retried here: nothing has been done yet.
    started = time.monotonic()
    while True:
        try:
            session.connection(execution_options={IMMEDIATE_OPTION: True})
            return
        except sa_exc.OperationalError as exc:
            if not is_retryable(exc):
                raise
            session.rollback()
            waited = time.monotonic() - started
            if waited * 1000 >= SQLITE_BUSY_TIMEOUT_MS:
                raise DatabaseBusy(busy_message(waited)) from None
            time.sleep(0.05)


def busy_message(waited: float | None = None) -> str:
    """What to tell a user whose command could not get the database's write lock."""
    how_long = f"waited {waited:.0f} s; " if waited is not None else ""
    return (
        f"another Patron command holds the database ({how_long}the wait limit is "
        f"{SQLITE_BUSY_TIMEOUT_MS // 1000} s); run this command again when it has finished"
    )


def run_transaction(
    app: HasSessions | sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = 5,
    immediate: bool = False,
    backoff: float = 0.05,
) -> T:
    """Run ``work(session)`` in one transaction, retrying busy/serialization failures.

    The whole transaction is retried, never a single statement: ``work`` must be
    safe to run again from the start (it is, if it only uses ``session``). After
    ``attempts`` tries the last failure is raised. ``immediate`` takes SQLite's
    write lock at ``BEGIN`` (see ``immediate_session``).
    """
    factory = app if isinstance(app, sessionmaker) else app.sessions
    for attempt in range(1, attempts + 1):
        try:
            with immediate_session(factory, immediate) as session:
                return work(session)
        except sa_exc.DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            time.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable: the loop returns or raises")


# -- append-only tables ---------------------------------------------------------


def append_only(
    table: str,
    *,
    guards: Sequence[str] = ("update", "delete", "replace", "truncate"),
    columns: Sequence[str] | None = None,
    message: str | None = None,
    bind: Connection | None = None,
) -> None:
    """In a migration: make ``table`` append-only on both engines (see ``patron.appendonly``).

    Refuses UPDATE (of ``columns`` only, when given), DELETE, SQLite's ``INSERT OR
    REPLACE`` over an existing row and PostgreSQL's ``TRUNCATE``; idempotent
    inserts (``insert_ignore``) keep working. ``bind`` defaults to the running
    Alembic migration's connection.
    """
    from patron.appendonly import protect

    protect(table, guards=guards, columns=columns, message=message, bind=bind)  # type: ignore[arg-type]


def drop_append_only(
    table: str, *, guards: Sequence[str] = ("update", "delete", "replace", "truncate"), bind: Connection | None = None
) -> None:
    """In a downgrade: remove what ``append_only`` installed on ``table``."""
    from patron.appendonly import unprotect

    unprotect(table, guards=guards, bind=bind)  # type: ignore[arg-type]
