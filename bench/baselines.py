"""Baseline loaders: the least a correct program must do to load the same rows into the same schema.

Each is a whole process (``python bench/baselines.py JOB ARGS``), so it is
measured like ``patron import``: start-up, CSV parsing, the customer lookup,
exact minor units, UTC text, and the driver's own bulk path.

- ``sqlite-interactions DB CSV``: ``sqlite3`` ``executemany`` per 5000-row batch, each committed,
  the same pragmas as Patron (WAL, synchronous FULL, foreign keys on);
- ``sqlite-customers DB CSV``: the same for customers;
- ``sqlite-customers-update DB CSV``: an UPDATE by external id for every row (customers already stored);
- ``pg-copy-interactions URL CSV``: psycopg 3 ``COPY`` of the rows into ``interactions``, committed
  per 5000-row batch like the import.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

BATCH = 5000
STAMP = "2024-01-01 00:00:00.000000"


def _batches(path: Path) -> Iterator[list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _utc_text(value: str) -> str:
    """``2024-03-05T07:00:00Z`` → the text SQLAlchemy stores for a UTC datetime on SQLite."""
    return value[:10] + " " + value[11:19] + ".000000"


def _minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


def sqlite_connect(db: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def sqlite_interactions(db: str, csv_path: str) -> None:
    conn = sqlite_connect(db)
    ids = dict(conn.execute("SELECT external_id, id FROM customers"))
    sql = (
        "INSERT INTO interactions (external_id, customer_id, kind, channel, occurred_at, amount_minor, currency, "
        f"payload, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, '{{}}', '{STAMP}')"
    )
    for batch in _batches(Path(csv_path)):
        rows = [
            (ext, ids[cust], kind, channel or None, _utc_text(occurred), _minor(amount), currency)
            for ext, cust, kind, occurred, amount, currency, channel in batch
        ]
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    conn.close()


def sqlite_customers(db: str, csv_path: str) -> None:
    conn = sqlite_connect(db)
    sql = (
        "INSERT INTO customers (external_id, name, email, attributes, created_at, updated_at) "
        f"VALUES (?, ?, ?, '{{}}', '{STAMP}', '{STAMP}')"
    )
    for batch in _batches(Path(csv_path)):
        conn.execute("BEGIN")
        conn.executemany(sql, [(ext, name or None, email or None) for ext, name, email in batch])
        conn.execute("COMMIT")
    conn.close()


def sqlite_customers_update(db: str, csv_path: str) -> None:
    """Every row of the file updates its (known) customer: no comparison, no reading first."""
    conn = sqlite_connect(db)
    sql = f"UPDATE customers SET name = ?, email = ?, updated_at = '{STAMP}' WHERE external_id = ?"
    for batch in _batches(Path(csv_path)):
        conn.execute("BEGIN")
        conn.executemany(sql, [(name or None, email or None, ext) for ext, name, email in batch])
        conn.execute("COMMIT")
    conn.close()


def pg_copy_interactions(url: str, csv_path: str) -> None:
    from datetime import UTC, datetime

    import psycopg

    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        ids: dict[str, int] = dict(conn.execute("SELECT external_id, id FROM customers").fetchall())
        conn.commit()
        columns = "external_id, customer_id, kind, channel, occurred_at, amount_minor, currency, payload, recorded_at"
        for batch in _batches(Path(csv_path)):
            with conn.cursor() as cur, cur.copy(f"COPY interactions ({columns}) FROM STDIN") as copy:
                for ext, cust, kind, occurred, amount, currency, channel in batch:
                    copy.write_row(
                        (
                            ext,
                            ids[cust],
                            kind,
                            channel or None,
                            datetime.fromisoformat(occurred),
                            _minor(amount),
                            currency,
                            "{}",
                            stamp,
                        )
                    )
            conn.commit()


JOBS = {
    "sqlite-interactions": sqlite_interactions,
    "sqlite-customers": sqlite_customers,
    "sqlite-customers-update": sqlite_customers_update,
    "pg-copy-interactions": pg_copy_interactions,
}

if __name__ == "__main__":
    job, *args = sys.argv[1:]
    JOBS[job](*args)
