#!/usr/bin/env python3
"""Benchmark: ``patron import interactions`` vs plain ``sqlite3.executemany``, same rows, same schema.

Generates a CSV of N interactions over N/10 customers, imports it into a fresh
SQLite database with the real CLI (a subprocess, so its peak RSS is measured
alone), and in the same run inserts the same rows into another fresh database
with the same schema using only the ``sqlite3`` module (csv parsing, a dict for
the customer lookup, ``executemany`` per batch, same pragmas). Prints rows/s
for both, the ratio (target: ≤ 2.0) and the import's peak memory.

    python bench/bench_import.py                 # 200k rows (a couple of minutes)
    python bench/bench_import.py --rows 1000000  # the issue's size
    python bench/bench_import.py --rows 1000000 --rows 5000000  # memory at two sizes
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

BATCH = 5000
PEAK_RSS = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


def generate(folder: Path, rows: int) -> tuple[Path, Path]:
    customers = max(1, rows // 10)
    cpath, ipath = folder / "customers.csv", folder / "interactions.csv"
    with cpath.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "name", "email"])
        w.writerows([f"c{i}", f"Customer {i}", f"c{i}@example.com"] for i in range(customers))
    with ipath.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "customer_external_id", "kind", "occurred_at", "amount", "currency", "channel"])
        for n in range(rows):
            w.writerow(
                [
                    f"i{n}",
                    f"c{(n * 7919) % customers}",
                    "purchase",
                    f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
                    f"{n % 500}.{n % 100:02d}",
                    "EUR",
                    "web",
                ]
            )
    return cpath, ipath


def patron(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "patron.cli", "--config", str(folder / "patron.toml"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True)


def fresh_db(folder: Path, name: str) -> Path:
    db = folder / f"{name}.db"
    (folder / "patron.toml").write_text(f'[patron]\ndatabase_url = "sqlite:///{db}"\nplugins = []\n')
    patron(folder, "db", "upgrade")
    return db


def run_patron(folder: Path, cpath: Path, ipath: Path) -> tuple[float, int]:
    fresh_db(folder, "patron")
    patron(folder, "import", "customers", str(cpath))
    cmd = [
        sys.executable,
        "-c",
        PEAK_RSS,
        sys.executable,
        "-m",
        "patron.cli",
        "--config",
        str(folder / "patron.toml"),
        "import",
        "interactions",
        str(ipath),
        "--json",
    ]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return elapsed, peak_kib


def run_baseline(folder: Path, cpath: Path, ipath: Path) -> float:
    db = fresh_db(folder, "baseline")
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")
    with cpath.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO customers (external_id, name, email, attributes, created_at, updated_at) "
            "VALUES (?, ?, ?, '{}', '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000')",
            reader,
        )
        conn.execute("COMMIT")
    start = time.perf_counter()
    ids = dict(conn.execute("SELECT external_id, id FROM customers"))
    sql = (
        "INSERT INTO interactions (external_id, customer_id, kind, channel, occurred_at, amount_minor, currency, "
        "payload, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, '{}', '2024-01-01 00:00:00.000000')"
    )
    with ipath.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)
        batch: list[tuple[object, ...]] = []
        for ext, cust, kind, occurred, amount, currency, channel in reader:
            # The minimum a correct loader does: resolve the customer, exact cents, UTC text.
            batch.append(
                (
                    ext,
                    ids[cust],
                    kind,
                    channel,
                    occurred[:10] + " " + occurred[11:19] + ".000000",
                    int(Decimal(amount) * 100),
                    currency,
                )
            )
            if len(batch) == BATCH:
                conn.execute("BEGIN")
                conn.executemany(sql, batch)
                conn.execute("COMMIT")
                batch = []
        if batch:
            conn.execute("BEGIN")
            conn.executemany(sql, batch)
            conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="interactions to import (repeatable)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline (memory runs)")
    args = parser.parse_args()
    for rows in args.rows or [200_000]:
        with tempfile.TemporaryDirectory(prefix="patron-bench-") as tmp:
            folder = Path(tmp)
            cpath, ipath = generate(folder, rows)
            size_mb = ipath.stat().st_size / 1e6
            patron_s, peak_kib = run_patron(folder, cpath, ipath)
            print(f"rows={rows:,} file={size_mb:.0f} MB customers={max(1, rows // 10):,}")
            print(
                f"  patron import : {rows / patron_s:>10,.0f} rows/s ({patron_s:.1f} s), "
                f"peak RSS {peak_kib / 1024:.0f} MiB"
            )
            if not args.no_baseline:
                base_s = run_baseline(folder, cpath, ipath)
                print(f"  executemany   : {rows / base_s:>10,.0f} rows/s ({base_s:.1f} s)")
                print(f"  ratio (patron time / baseline time): {patron_s / base_s:.2f}  (target <= 2.0)")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
