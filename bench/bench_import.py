"""Benchmarks: ``patron import`` against the driver's own bulk path, each a whole process.

- ``import-sqlite``: ``patron import interactions`` against ``sqlite3.executemany``
  into the same schema, indexes, pragmas and 5000-row commits (target 1.5, CPU);
- ``import-customers-sqlite``: ``patron import customers`` against the same for
  customers (target 1.5, CPU);
- ``import-customers-update-sqlite``: the same file with every name changed,
  into the database already holding those customers, against one
  ``executemany`` of UPDATEs by external id (target 1.5, CPU): the nightly load;
- ``import-postgres``: ``patron import interactions`` against psycopg ``COPY`` of the
  same rows into the same schema, per 5000-row batch (target 2.0; CPU of the
  client and of the PostgreSQL server together, as the server does most of the work);
- ``import-memory``: peak RSS of ``patron import interactions`` at a large size
  against a small one (target 1.10: memory stays flat).

Every run starts from the same database (customers loaded, no interactions),
copied or truncated untimed; afterwards the stored rows of both arms are
compared (a digest of every column the file sets), so neither arm can skip work.

Sizes (interactions or customers): smoke 2,000; quick 50,000; full 1,000,000.
Memory: smoke 2,000 against 20,000; quick 20,000 against 200,000; full 100,000
against 5,000,000 (the issue's sizes).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import (
    Arm,
    Options,
    Pair,
    Pairs,
    benchmark,
    fresh_database,
    main,
    patron_command,
    pick,
    postmaster_pid,
    python_env,
)

BENCH = Path(__file__).resolve().parent
BASELINES = str(BENCH / "baselines.py")


def generate(folder: Path, rows: int, customers: int | None = None) -> tuple[Path, Path]:
    """Customers (a tenth of the rows) and ``rows`` purchases spread over them, as CSV."""
    customers = customers or max(1, rows // 10)
    cpath, ipath = folder / f"customers-{customers}.csv", folder / f"interactions-{rows}.csv"
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


#: Every installation has one ('patron init' writes it): with it, an import checks new ids against erased ones.
SECRET_KEY = "bench-installation-key-0123456789"


def write_config(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "patron.toml"
    config.write_text(
        f'[patron]\ndatabase_url = "{url}"\nplugins = []\nsecret_key = "{SECRET_KEY}"\n', encoding="utf-8"
    )
    return config


def patron(config: Path, *args: str) -> str:
    done = subprocess.run(
        [*patron_command(), "--config", str(config), *args], env=python_env(), capture_output=True, text=True
    )
    if done.returncode not in (0,):
        raise RuntimeError(f"patron {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def sqlite_digest(db: Path, table: str) -> tuple[int, str]:
    """Row count and a digest of the columns an import sets, in external_id order."""
    columns = {
        "interactions": "i.external_id, c.external_id, i.kind, i.channel, i.occurred_at, i.amount_minor, i.currency",
        "customers": "c.external_id, c.name, c.email",
    }[table]
    source = "interactions i JOIN customers c ON c.id = i.customer_id" if table == "interactions" else "customers c"
    key = "i.external_id" if table == "interactions" else "c.external_id"
    digest = hashlib.sha256()
    count = 0
    with sqlite3.connect(db) as conn:
        for row in conn.execute(f"SELECT {columns} FROM {source} ORDER BY {key}"):
            digest.update(repr(row).encode())
            count += 1
    return count, digest.hexdigest()


def _imported(expected: int) -> Any:
    def check(stdout: Any) -> bool:
        summary = json.loads(str(stdout))
        return bool(summary["inserted"] == expected and summary["rejected"] == 0)

    return check


def _sqlite_pair(
    folder: Path, table: str, path: Path, labels: tuple[str, str], job: str, note: str, preload: Path | None = None
) -> Pair:
    """``patron import <table> path`` against ``baselines.py job`` on fresh copies of one template database.

    The template has the schema and, with ``preload``, those customers imported;
    both arms start from a copy of it (untimed) and their stored rows are
    compared afterwards.
    """
    template = folder / "template.db"
    config = write_config(folder / "patron", f"sqlite:///{folder / 'patron.db'}")
    patron(write_config(folder / "tpl", f"sqlite:///{template}"), "db", "upgrade")
    if preload is not None:
        patron(folder / "tpl" / "patron.toml", "import", "customers", str(preload))
    arm_db, base_db = folder / "patron.db", folder / "baseline.db"

    def fresh(db: Path) -> Any:
        def copy() -> None:
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template, db)

        return copy

    return Pair(
        Arm.process(
            labels[0],
            [*patron_command(), "--config", str(config), "import", table, str(path), "--json"],
            env=python_env(),
            setup=fresh(arm_db),
            result=lambda _out: sqlite_digest(arm_db, table),
        ),
        Arm.process(
            labels[1],
            [sys.executable, BASELINES, job, str(base_db), str(path)],
            env=python_env(),
            setup=fresh(base_db),
            result=lambda _out: sqlite_digest(base_db, table),
        ),
        note=note,
    )


@benchmark("import-sqlite", target=1.5, doc="patron import interactions / sqlite3.executemany (CPU)")
def import_sqlite(options: Options) -> Pairs:
    rows = pick(options, 2000, 50_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        cpath, ipath = generate(folder, rows)
        yield _sqlite_pair(
            folder,
            "interactions",
            ipath,
            ("patron import interactions", "sqlite3.executemany"),
            "sqlite-interactions",
            f"{rows:,} interactions, {max(1, rows // 10):,} customers, SQLite, no plugins",
            preload=cpath,
        )


@benchmark("import-customers-sqlite", target=1.5, doc="patron import customers / sqlite3.executemany (CPU)")
def import_customers_sqlite(options: Options) -> Pairs:
    customers = pick(options, 2000, 50_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-customers-") as tmp:
        folder = Path(tmp)
        cpath, _ = generate(folder, 1, customers)
        yield _sqlite_pair(
            folder,
            "customers",
            cpath,
            ("patron import customers", "sqlite3.executemany (customers)"),
            "sqlite-customers",
            f"{customers:,} customers, SQLite, no plugins",
        )


@benchmark(
    "import-customers-update-sqlite",
    target=1.5,
    doc="patron import customers, every name changed / sqlite3.executemany UPDATE (CPU)",
)
def import_customers_update_sqlite(options: Options) -> Pairs:
    """The nightly load of a CRM that has its customers already: every row known, each with a new name."""
    customers = pick(options, 2000, 50_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-customers-update-") as tmp:
        folder = Path(tmp)
        cpath, _ = generate(folder, 1, customers)
        changed = folder / "customers-renamed.csv"
        # Line by line: a child's peak RSS on Linux starts at this process's own at the fork, so it stays small.
        with cpath.open(encoding="utf-8") as source, changed.open("w", encoding="utf-8") as target:
            target.writelines(line.replace(",Customer ", ",Client ") for line in source)
        yield _sqlite_pair(
            folder,
            "customers",
            changed,
            ("patron import customers (updates)", "sqlite3.executemany UPDATE (customers)"),
            "sqlite-customers-update",
            f"{customers:,} customers known, each renamed, SQLite, no plugins",
            preload=cpath,
        )


def pg_digest(url: str) -> tuple[int, str]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT count(*), md5(string_agg(concat_ws('|', i.external_id, c.external_id, i.kind, i.channel, "
            "extract(epoch from i.occurred_at)::bigint, i.amount_minor, i.currency), ',' ORDER BY i.external_id)) "
            "FROM interactions i JOIN customers c ON c.id = i.customer_id"
        ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def pg_fresh(url: str, template: str) -> Any:
    """A setup step: replace the database at ``url`` by a copy of ``template`` (schema and customers, no interactions).

    A copy, not a TRUNCATE: the audit log is append-only (its triggers refuse DELETE
    and TRUNCATE), and every round must start from the same state.
    """
    import psycopg

    base, _, name = url.rpartition("/")
    admin = f"{base}/postgres".replace("postgresql+psycopg://", "postgresql://")

    def fresh() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")

    return fresh


@benchmark(
    "import-postgres",
    target=2.0,
    needs_postgres=True,
    doc="patron import interactions / psycopg COPY (CPU, client + server)",
)
def import_postgres(options: Options) -> Pairs:
    assert options.postgres is not None
    rows = pick(options, 2000, 50_000, 1_000_000)
    with (
        fresh_database(options.postgres, "bench_import_template") as template_url,
        fresh_database(options.postgres, "bench_import") as url,
        tempfile.TemporaryDirectory(prefix="bench-import-pg-") as tmp,
    ):
        folder = Path(tmp)
        cpath, ipath = generate(folder, rows)
        template_config = write_config(folder / "template", template_url)
        patron(template_config, "db", "upgrade")
        patron(template_config, "import", "customers", str(cpath))
        config = write_config(folder / "patron", url)
        fresh = pg_fresh(url, template_url.rpartition("/")[2])
        yield Pair(
            Arm.process(
                "patron import interactions (PostgreSQL)",
                [*patron_command(), "--config", str(config), "import", "interactions", str(ipath), "--json"],
                env=python_env(),
                setup=fresh,
                result=lambda _out: pg_digest(url),
            ),
            Arm.process(
                "psycopg COPY",
                [sys.executable, BASELINES, "pg-copy-interactions", url, str(ipath)],
                env=python_env(),
                setup=fresh,
                result=lambda _out: pg_digest(url),
            ),
            server=postmaster_pid(url),
            note=f"{rows:,} interactions, {max(1, rows // 10):,} customers, PostgreSQL, no plugins",
        )


@benchmark("import-memory", target=1.10, metric="rss", doc="peak RSS of patron import: large / small file")
def import_memory(options: Options) -> Pairs:
    small = pick(options, 2000, 20_000, 100_000)
    large = pick(options, 20_000, 200_000, 5_000_000)
    customers = small // 10
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        folder = Path(tmp)
        cpath, small_csv = generate(folder, small, customers)
        _, large_csv = generate(folder, large, customers)
        template = folder / "template.db"
        patron(write_config(folder / "tpl", f"sqlite:///{template}"), "db", "upgrade")
        patron(folder / "tpl" / "patron.toml", "import", "customers", str(cpath))
        db = folder / "patron.db"
        config = write_config(folder / "patron", f"sqlite:///{db}")

        def fresh() -> None:
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template, db)

        def arm(rows: int, path: Path) -> Arm:
            return Arm.process(
                f"import {rows:,} rows",
                [*patron_command(), "--config", str(config), "import", "interactions", str(path), "--json"],
                env=python_env(),
                setup=fresh,
                result=_imported(rows),
            )

        yield Pair(
            arm(large, large_csv),
            arm(small, small_csv),
            note=f"peak RSS at {large:,} against {small:,} interactions ({customers:,} customers), SQLite",
        )


if __name__ == "__main__":
    raise SystemExit(main())
