"""Benchmark: ``patron rfm score`` against a hand-written SQL statement and against pandas, on SQLite.

Generates a seeded shop (default 20,000 customers and 200,000 purchases, with
some refunds; ``--full`` for 100,000 and 1,000,000), then times, in the same
run and on the same database:

- plugin: the plugin's scoring function (``patron_rfm.snapshots.score``: metrics,
  scores, segment and ABC tier, written as a snapshot with INSERT … SELECT);
- (for information) the plugin's scoring SELECT alone, without the snapshot write;
- sql: one hand-written SELECT computing the same metrics and R/F/M scores;
- pandas: ``read_sql`` of the purchases and refunds + groupby + rank.

Each is run ``--repeat`` times (median). The scores of all three are compared
customer by customer before any ratio is printed. Targets: plugin/sql ≤ 1.5 and
plugin/pandas < 1. With ``--postgres URL`` the plugin and the SQL statement are
also timed on a fresh PostgreSQL database (pandas is engine-independent).

    python bench/bench_rfm.py [--customers N] [--purchases N] [--full] [--repeat N] [--postgres URL]

Exit code 1 when a target is missed or the results differ.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

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


def timed(fn: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


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
        return score(app, session, AS_OF).customers


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


def run_plugin_select(app: Any) -> int:
    """The plugin's scoring SELECT alone (with segment and tier), fetched, without writing a snapshot."""
    from patron_rfm.scoring import scores_query
    from patron_rfm.snapshots import plugin_config, window_for

    config = plugin_config(app)
    with app.transaction() as session:
        query = scores_query(window_for(session, config, AS_OF), config, app.engine.dialect.name)
        return len(session.execute(query).all())


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


def bench(app: Any, repeat: int, with_pandas: bool, label: str) -> bool:
    t_plugin, _ = timed(lambda: run_plugin(app), repeat, setup=lambda: drop_snapshot(app))
    t_sql, sql = timed(lambda: run_sql(app), repeat)
    ok = True
    plugin = plugin_scores(app)
    if plugin != sql:
        print(
            f"[{label}] MISMATCH: plugin and hand-written SQL disagree on "
            f"{sum(plugin.get(c) != v for c, v in sql.items())} customers"
        )
        ok = False
    ratio = t_plugin / t_sql
    print(f"[{label}] customers scored: {len(plugin)}")
    print(
        f"[{label}] plugin score: {t_plugin:.3f} s   hand-written SQL: {t_sql:.3f} s   ratio {ratio:.2f} (target ≤ 1.5)"
    )
    ok &= ratio <= 1.5
    t_select, _ = timed(lambda: run_plugin_select(app), repeat)
    print(
        f"[{label}] (for information) plugin scoring SELECT alone, no snapshot write: {t_select:.3f} s   "
        f"ratio {t_select / t_sql:.2f}"
    )
    if with_pandas:
        t_pandas, pandas_scores = timed(lambda: run_pandas(app), repeat)
        if pandas_scores != plugin:
            print(
                f"[{label}] MISMATCH: pandas and plugin disagree on "
                f"{sum(plugin.get(c) != v for c, v in pandas_scores.items())} customers"
            )
            ok = False
        ratio_p = t_plugin / t_pandas
        print(f"[{label}] pandas: {t_pandas:.3f} s   plugin/pandas ratio {ratio_p:.2f} (target < 1)")
        ok &= ratio_p < 1
    return ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--purchases", type=int, default=200_000)
    parser.add_argument("--full", action="store_true", help="100,000 customers and 1,000,000 purchases")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="also run on a fresh database on this PostgreSQL server")
    args = parser.parse_args(argv)
    if args.full:
        args.customers, args.purchases = 100_000, 1_000_000
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = make_app(f"sqlite:///{folder / 'bench.db'}", folder)
        start = time.perf_counter()
        generate(app, args.customers, args.purchases, args.seed)
        print(
            f"generated {args.customers} customers, {args.purchases} purchases (+5 % refunds) in "
            f"{time.perf_counter() - start:.1f} s"
        )
        ok &= bench(app, args.repeat, True, "sqlite")
        app.dispose()
        if args.postgres:
            ok &= bench_postgres(args, folder)
    print("OK" if ok else "FAILED: a target was missed or the results differ")
    return 0 if ok else 1


def bench_postgres(args: argparse.Namespace, folder: Path) -> bool:
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from patron.db import normalize_url

    name = f"bench_rfm_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(args.postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(normalize_url(args.postgres)).set(database=name).render_as_string(hide_password=False)
        pg_folder = folder / "pg"
        pg_folder.mkdir()
        app = make_app(url, pg_folder)
        generate(app, args.customers, args.purchases, args.seed)
        with app.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        ok = bench(app, args.repeat, False, "postgresql")
        app.dispose()
        return ok
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
