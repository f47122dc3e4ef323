"""Engine and sessions: SQLite by default, PostgreSQL by URL.

SQLite is set up for safety with concurrent CLI processes: WAL journal,
``synchronous=FULL``, foreign keys on and a busy timeout; and for privacy:
``secure_delete`` on, so erased values are zeroed in the file. The stdlib driver's
own transaction handling is switched off and SQLAlchemy emits ``BEGIN`` itself
(the recipe in SQLAlchemy's pysqlite docs), so SAVEPOINTs work and a unit of work
can ask for ``BEGIN IMMEDIATE`` (take the write lock up front) with
``immediate_transaction``.

Busy and serialization failures are retried around whole transactions with a
bound (``patron.sql.run_transaction``), never around single statements; the
transaction helpers live in the public ``patron.sql`` and are re-exported here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from patron.errors import DatabaseError
from patron.sql import (
    IMMEDIATE_OPTION,
    SQLITE_BUSY_TIMEOUT_MS,
    busy_message,
    immediate_session,
    is_retryable,
    run_transaction,
)

__all__ = [
    "describe_database_error",
    "immediate_session",
    "is_retryable",
    "make_engine",
    "normalize_url",
    "run_transaction",
    "session_factory",
]


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` / ``postgres://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with Patron's connection settings."""
    url = normalize_url(url)
    try:
        # Errors never echo bound parameters: they hold customers' names, emails and phones.
        engine = create_engine(url, **{"hide_parameters": True, **kwargs})
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError) as exc:
        raise DatabaseError(
            f"database URL {url.split('://', 1)[0]}://… is not usable: {exc}. Use "
            "sqlite:///path/to/file.db or postgresql://user:password@host/dbname "
            "(PostgreSQL needs: pip install 'patron[postgresql]')"
        ) from exc
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"the database driver for {url.split('://', 1)[0]} is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'patron[postgresql]'"
        ) from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Zero deleted and overwritten content in the file, so erased personal data does not linger
        # in free space (some builds default it on, others off: say it explicitly).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE_OPTION) else ""
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def describe_database_error(exc: BaseException, url: str, origin: str) -> DatabaseError | None:
    """Turn a connection failure or a missing table into a DatabaseError that says what to do.

    Returns None for any other exception (those are bugs and keep their traceback).
    """
    from patron.config import mask_url

    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    orig = exc.orig
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate == "42P01" or "no such table" in reason:
        return DatabaseError(f"the database {mask_url(url)} lacks a table ({reason}); run 'patron db upgrade'")
    if "database is locked" in reason or "database is busy" in reason:
        # Not the URL's fault: another command holds the write lock (the busy timeout ran out).
        return DatabaseError(busy_message())
    if isinstance(exc, sa_exc.OperationalError):
        return DatabaseError(
            f"cannot use the database {mask_url(url)} (set in {origin}): {reason}. Check the URL, that the "
            "server is running or the file's folder exists, then run 'patron db upgrade'"
        )
    return None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used everywhere (``expire_on_commit`` off for CLI output)."""
    return sessionmaker(engine, expire_on_commit=False)
