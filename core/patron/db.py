"""Engine and sessions: SQLite by default, PostgreSQL by URL.

SQLite is set up for safety with concurrent CLI processes: WAL journal,
``synchronous=FULL``, foreign keys on and a busy timeout; and for privacy:
``secure_delete`` on, so erased values are zeroed in the file. The stdlib driver's
own transaction handling is switched off and SQLAlchemy emits ``BEGIN`` itself
(the recipe in SQLAlchemy's pysqlite docs), so SAVEPOINTs work and a unit of work
can ask for ``BEGIN IMMEDIATE`` (take the write lock up front) with
``immediate_transaction``.

Busy and serialization failures are retried around whole transactions with a
bound (``run_transaction``), never around single statements.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from patron.errors import DatabaseError

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: SQLSTATEs of PostgreSQL failures that succeed when the transaction is retried.
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


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
        engine = create_engine(url, **kwargs)
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
        mode = "IMMEDIATE" if conn.get_execution_options().get("patron_immediate") else ""
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
    if isinstance(exc, sa_exc.OperationalError):
        return DatabaseError(
            f"cannot use the database {mask_url(url)} (set in {origin}): {reason}. Check the URL, that the "
            "server is running or the file's folder exists, then run 'patron db upgrade'"
        )
    return None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used everywhere (``expire_on_commit`` off for CLI output)."""
    return sessionmaker(engine, expire_on_commit=False)


def is_retryable(exc: BaseException) -> bool:
    """True for failures that a whole-transaction retry can cure: busy, locked, serialization."""
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database is busy" in message


def run_transaction(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = 5,
    immediate: bool = False,
    backoff: float = 0.05,
) -> T:
    """Run ``work(session)`` in one transaction, retrying busy/serialization failures.

    ``immediate`` takes SQLite's write lock at BEGIN, so two writers cannot both
    read a value and then both write based on it.
    """
    for attempt in range(1, attempts + 1):
        try:
            with immediate_session(factory, immediate) as session:
                return work(session)
        except sa_exc.DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            time.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable: the loop returns or raises")


@contextmanager
def immediate_session(factory: sessionmaker[Session], immediate: bool = False) -> Iterator[Session]:
    """A session in one transaction, committed on success and rolled back on error."""
    session = factory()
    try:
        if immediate:
            session.connection(execution_options={"patron_immediate": True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
