"""Benchmarks: ``patron rfm score`` against a hand-written SQL statement and against pandas.

Generates a seeded shop (purchases skewed like real shops, +5 % refunds) once
per database, then compares, each arm a function run in a forked child of this
process (imports paid, the job alone measured):

- ``rfm-sqlite``: the plugin's scoring (``patron_rfm.snapshots.score``: metrics,
  scores, segment and ABC tier, written as a snapshot) against one hand-written
  SELECT of the same R/F/M scores, on SQLite (target 1.5, CPU);
- ``rfm-pandas``: the plugin against ``read_sql`` + groupby + rank (target 1.0, CPU);
- ``rfm-postgres``: the plugin against the hand-written statement on PostgreSQL
  (target 1.3; CPU of the client and the server together).

The scores of every arm are compared customer by customer before a ratio is
printed. Sizes (customers/purchases): smoke 500/5,000; quick 10,000/100,000;
full 100,000/1,000,000.
"""

from __future__ import annotations

import atexit
import random
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import Arm, Options, Pair, Pairs, benchmark, fresh_database, main, pick, postmaster_pid

AS_OF = date(2025, 1, 1)
START = datetime(2022, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2025, 1, 1, tzinfo=UTC) - START).total_seconds())

HAND_SQL_SQLITE = """
WITH grouped AS (
  SELECT i.customer_id,
         MAX(CASE WHEN i.kind = 'purchase' THEN i.occurred_at END) AS last_purchase,
         SUM(CASE WHEN i.kind = 'purchase' THEN 1 ELSE 0 END) AS frequency,
         SUM(CASE WHEN i.kind = 'purchase' THEN COALESCE(i.amount_minor, 0)
                  WHEN i.kind = 'refund' THEN -ABS(COALESCE(i.amount_minor, 0)) ELSE 0 END) AS monetary
  FROM interactions i JOIN customers c ON c.id = i.customer_id AND c.erased_at IS NULL
  WHERE i.occurred_at < :end AND i.kind IN ('purchase', 'refund')
  GROUP BY i.customer_id
  HAVING SUM(CASE WHEN i.kind = 'purchase' THEN 1 ELSE 0 END) > 0
), metrics AS (
  SELECT customer_id, (CAST(strftime('%s', :end) AS INTEGER) - CAST(strftime('%s', last_purchase) AS INTEGER)) / 86400
         AS recency, frequency, monetary FROM grouped
)
SELECT customer_id,
       1 + 5 * (RANK() OVER (ORDER BY recency DESC) - 1) / COUNT(*) OVER () AS r,
       1 + 5 * (RANK() OVER (ORDER BY frequency) - 1) / COUNT(*) OVER () AS f,
       1 + 5 * (RANK() OVER (ORDER BY monetary) - 1) / COUNT(*) OVER () AS m
FROM metrics
"""

HAND_SQL_POSTGRES = HAND_SQL_SQLITE.replace(
    "(CAST(strftime('%s', :end) AS INTEGER) - CAST(strftime('%s', last_purchase) AS INTEGER)) / 86400",
    "CAST(FLOOR(EXTRACT(EPOCH FROM (CAST(:end AS timestamptz) - date_trunc('second', last_purchase))) / 86400) "
    "AS INTEGER)",
)


def make_app(url: str, folder: Path) -> Any:
    from patron.app import App
    from patron.config import load_settings

    path = folder / "patron.toml"
    path.write_text(f'[patron]\ndatabase_url = "{url}"\nplugins = ["rfm"]\n', encoding="utf-8")
    app = App(load_settings(path, env={}))
    app.upgrade_database()
    return app


def generate(app: Any, customers: int, purchases: int, seed: int) -> None:
    """Seeded customers and purchases (+5 % refunds), skewed like real shops (few buy often)."""
    from sqlalchemy import insert

    from patron.models import Customer, Interaction, utcnow

    rng = random.Random(seed)
    now = utcnow()
    with app.transaction() as session:
        session.execute(
            insert(Customer),
            [
                {"id": i, "external_id": f"c{i}", "attributes": {}, "created_at": now, "updated_at": now}
                for i in range(1, customers + 1)
            ],
        )
    weights = [1 / (i**0.8) for i in range(1, customers + 1)]
    chunk = 100_000
    refunds = purchases // 20
    total = purchases + refunds
    n = 0
    while n < total:
        size = min(chunk, total - n)
        who = rng.choices(range(1, customers + 1), weights=weights, k=size)
        rows = []
        for k, c in enumerate(who):
            idx = n + k
            kind = "purchase" if idx < purchases else "refund"
            rows.append(
                {
                    "external_id": f"i{idx}",
                    "customer_id": c,
                    "kind": kind,
                    "occurred_at": START + timedelta(seconds=rng.randrange(SPAN_SECONDS)),
                    "amount_minor": rng.choice((499, 999, 1999)) if kind == "refund" else int(rng.lognormvariate(8, 1)),
                    "currency": "EUR",
                    "payload": {},
                    "recorded_at": now,
                    "channel": None,
                }
            )
        with app.transaction() as session:
            session.execute(insert(Interaction), rows)
        n += size


def drop_snapshot(app: Any) -> None:
    """Untimed: remove the previous run's snapshot, so each timed run scores a fresh as-of date."""
    from sqlalchemy import delete, select

    from patron_rfm.models import RfmScore, RfmSnapshot

    with app.transaction() as session:
        ids = select(RfmSnapshot.id).where(RfmSnapshot.as_of == AS_OF).scalar_subquery()
        session.execute(delete(RfmScore).where(RfmScore.snapshot_id == ids))
        session.execute(delete(RfmSnapshot).where(RfmSnapshot.as_of == AS_OF))


def run_plugin(app: Any) -> int:
    from patron_rfm.snapshots import score

    with app.transaction() as session:
        return int(score(app, session, AS_OF).customers)


def plugin_scores(app: Any) -> dict[int, tuple[int, int, int]]:
    from sqlalchemy import select

    from patron_rfm.models import RfmScore, RfmSnapshot

    with app.transaction() as session:
        rows = session.execute(
            select(RfmScore.customer_id, RfmScore.r_score, RfmScore.f_score, RfmScore.m_score)
            .join(RfmSnapshot, RfmSnapshot.id == RfmScore.snapshot_id)
            .where(RfmSnapshot.as_of == AS_OF)
        )
        return {c: (r, f, m) for c, r, f, m in rows}


def run_sql(app: Any) -> dict[int, tuple[int, int, int]]:
    from sqlalchemy import text

    sqlite = app.engine.dialect.name == "sqlite"
    end: Any = "2025-01-01 00:00:00" if sqlite else datetime(2025, 1, 1, tzinfo=UTC)
    with app.engine.connect() as conn:
        rows = conn.execute(text(HAND_SQL_SQLITE if sqlite else HAND_SQL_POSTGRES), {"end": end})
        return {c: (int(r), int(f), int(m)) for c, r, f, m in rows}


def run_pandas(app: Any) -> dict[int, tuple[int, int, int]]:
    import pandas as pd

    with app.engine.connect() as conn:
        df = pd.read_sql(
            "SELECT i.customer_id, i.kind, i.occurred_at, i.amount_minor FROM interactions i "
            "JOIN customers c ON c.id = i.customer_id AND c.erased_at IS NULL "
            "WHERE i.occurred_at < '2025-01-01 00:00:00' AND i.kind IN ('purchase', 'refund')",
            conn,
        )
    end = pd.Timestamp("2025-01-01")
    df["occurred_at"] = pd.to_datetime(df["occurred_at"], format="ISO8601").dt.tz_localize(None).dt.floor("s")
    amount = df["amount_minor"].fillna(0).astype("int64")
    purchase = df["kind"] == "purchase"
    df["signed"] = amount.where(purchase, -amount.abs())
    buys = df[purchase]
    metrics = buys.groupby("customer_id").agg(last=("occurred_at", "max"), frequency=("kind", "size"))
    metrics["monetary"] = df.groupby("customer_id")["signed"].sum().reindex(metrics.index)
    metrics["recency"] = (end - metrics["last"]).dt.total_seconds().astype("int64") // 86_400
    n = len(metrics)

    def score(values: Any, ascending: bool) -> Any:
        rank = values.rank(method="min", ascending=ascending).astype("int64")
        return 1 + (5 * (rank - 1)) // n

    r, f, m = score(metrics["recency"], False), score(metrics["frequency"], True), score(metrics["monetary"], True)
    return {int(c): (int(a), int(b), int(d)) for c, a, b, d in zip(metrics.index, r, f, m, strict=True)}


def scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-rfm-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def shop(url: str, folder: Path, options: Options) -> None:
    """Create the schema and the seeded shop at ``url``; every connection closed afterwards."""
    app = make_app(url, folder)
    generate(app, pick(options, 500, 10_000, 100_000), pick(options, 5000, 100_000, 1_000_000), seed=5)
    if app.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with app.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    app.dispose()
    # Forked arms measure the job, not imports: pay them here, once, before any fork.
    import patron_rfm.models
    import patron_rfm.snapshots  # noqa: F401


def arm_app(folder: Path) -> Any:
    """An app on the shop's database whose engine is created on first use (in the forked child)."""
    from patron.app import App
    from patron.config import load_settings

    return App(load_settings(folder / "patron.toml", env={}))


def using(folder: Path, job: Any) -> Any:
    """Run ``job(app)`` on a throwaway app (in this process) and close its connections."""
    app = arm_app(folder)
    try:
        return job(app)
    finally:
        app.dispose()


def pair(folder: Path, label: str, note: str, server: int | None = None) -> Pair:
    def plugin() -> int:
        app = arm_app(folder)
        return run_plugin(app)

    def sql() -> dict[int, tuple[int, int, int]]:
        return run_sql(arm_app(folder))

    return Pair(
        Arm.forked(
            f"rfm score ({label})",
            plugin,
            setup=lambda: using(folder, drop_snapshot),
            result=lambda _n: using(folder, plugin_scores),
        ),
        Arm.forked(f"hand-written SELECT ({label})", sql),
        server=server,
        note=note,
    )


def _note(options: Options, engine: str) -> str:
    customers, purchases = pick(options, 500, 10_000, 100_000), pick(options, 5000, 100_000, 1_000_000)
    return f"{customers:,} customers, {purchases:,} purchases (+5 % refunds), {engine}"


@benchmark("rfm-sqlite", target=1.5, doc="rfm score / hand-written SELECT, SQLite (CPU)")
def rfm_sqlite(options: Options) -> Pairs:
    folder = scratch()
    shop(f"sqlite:///{folder / 'bench.db'}", folder, options)
    yield pair(folder, "SQLite", _note(options, "SQLite"))


@benchmark("rfm-pandas", target=1.0, doc="rfm score / pandas read_sql + groupby + rank, SQLite (CPU)")
def rfm_pandas(options: Options) -> Pairs:
    folder = scratch()
    shop(f"sqlite:///{folder / 'bench.db'}", folder, options)
    import pandas  # noqa: F401  (imported before the forks, like the plugin's modules)

    base = pair(folder, "SQLite", _note(options, "SQLite"))
    base.baseline = Arm.forked("pandas (SQLite)", lambda: run_pandas(arm_app(folder)))
    yield base


@benchmark("rfm-postgres", target=1.3, needs_postgres=True, doc="rfm score / hand-written SELECT, PostgreSQL")
def rfm_postgres(options: Options) -> Pairs:
    assert options.postgres is not None
    with fresh_database(options.postgres, "bench_rfm") as url:
        folder = scratch()
        shop(url, folder, options)
        yield pair(folder, "PostgreSQL", _note(options, "PostgreSQL"), server=postmaster_pid(url))


if __name__ == "__main__":
    raise SystemExit(main())
