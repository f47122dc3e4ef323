"""Benchmark: the ``nps-breakdown`` report against a hand-written SQL statement computing the same numbers.

Generates a seeded data set (default 100,000 customers and 1,000,000 NPS
answers over two years, with repeat answers inside a quarter; ``--quick`` for a
tenth of that), an RFM snapshot placing every customer in one of the eleven
segments (written directly: the benchmark is about the survey plugin), and
indexes the answers with the plugin's own ``patron refresh`` job. Then, in the
same run, on the same database, with the arms interleaved:

- plugin: ``nps-breakdown`` by ``rfm:segment`` over 2025 (the report object's
  ``run``: one answer per customer and quarter, the segments through the RFM
  plugin's audiences, NPS with interval and a test per segment);
- sql: one hand-written statement (window function for the dedup, a join on
  the latest RFM snapshot, GROUP BY segment plus the overall row), whose counts
  are turned into the same NPS, interval and p-values in Python.

Both arms' numbers are compared group by group before a ratio is printed.
Target: plugin / sql ≤ 1.5 (median of ``--repeat`` runs). With ``--postgres
URL`` the same is done on a fresh database on that server.

    python bench/bench_nps.py [--quick] [--customers N] [--answers N] [--repeat N] [--postgres URL]

Exit code 1 when the target is missed or the results differ.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 1, 1)
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 1, 1, tzinfo=UTC) - START).total_seconds())
SEGMENTS = (
    ("champions", 8.6),
    ("loyal", 8.1),
    ("potential_loyalist", 7.8),
    ("new_customers", 7.5),
    ("promising", 7.3),
    ("need_attention", 6.8),
    ("about_to_sleep", 6.4),
    ("at_risk", 5.2),
    ("cant_lose_them", 5.6),
    ("hibernating", 6.0),
    ("lost", 5.0),
)

HAND_SQL = """
WITH ranked AS (
  SELECT customer_id, score,
         ROW_NUMBER() OVER (PARTITION BY customer_id, {quarter}
                            ORDER BY occurred_at DESC, interaction_id DESC) AS rn
  FROM nps_answers
  WHERE survey = 'nps' AND occurred_at >= :start AND occurred_at < :end
), counted AS (
  SELECT customer_id, score FROM ranked WHERE rn = 1
)
SELECT s.segment AS grp, COUNT(*) AS n,
       SUM(CASE WHEN c.score >= 9 THEN 1 ELSE 0 END) AS promoters,
       SUM(CASE WHEN c.score <= 6 THEN 1 ELSE 0 END) AS detractors
FROM counted c
JOIN rfm_scores s ON s.customer_id = c.customer_id
 AND s.snapshot_id = (SELECT id FROM rfm_snapshots ORDER BY as_of DESC LIMIT 1)
GROUP BY s.segment
UNION ALL
SELECT '' AS grp, COUNT(*), SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END)
FROM counted
"""
QUARTER = {
    "sqlite": "CAST(strftime('%Y', occurred_at) AS INTEGER) * 4 "
    "+ (CAST(strftime('%m', occurred_at) AS INTEGER) - 1) / 3",
    "postgresql": "CAST(EXTRACT(YEAR FROM occurred_at AT TIME ZONE 'UTC') AS INTEGER) * 4 "
    "+ (CAST(EXTRACT(MONTH FROM occurred_at AT TIME ZONE 'UTC') AS INTEGER) - 1) / 3",
}


def make_app(url: str, folder: Path) -> Any:
    from patron.app import App
    from patron.config import load_settings

    path = folder / "patron.toml"
    path.write_text(
        f'[patron]\ndatabase_url = "{url}"\nplugins = ["rfm", "nps"]\n\n'
        '[plugins.nps.surveys.nps]\ntype = "nps"\nperiod = "quarter"\n',
        encoding="utf-8",
    )
    app = App(load_settings(path, env={}))
    app.upgrade_database()
    return app


def generate(app: Any, customers: int, answers: int, seed: int) -> None:
    """Customers, an RFM snapshot with a segment each, and NPS answers whose scores depend on the segment."""
    from sqlalchemy import insert

    from patron.models import Customer, Interaction, utcnow
    from patron_nps.answers import backfill
    from patron_rfm.models import RfmScore, RfmSnapshot

    began = time.perf_counter()
    rng = random.Random(seed)
    now = utcnow()
    segment_of = {c: rng.randrange(len(SEGMENTS)) for c in range(1, customers + 1)}
    with app.transaction() as session:
        session.execute(
            insert(Customer),
            [
                {"id": i, "external_id": f"c{i}", "attributes": {}, "created_at": now, "updated_at": now}
                for i in range(1, customers + 1)
            ],
        )
        session.execute(
            insert(RfmSnapshot),
            [{"id": 1, "as_of": AS_OF, "computed_at": now, "method": "quantile", "params": {}, "customers": customers}],
        )
        session.execute(
            insert(RfmScore),
            [
                {
                    "snapshot_id": 1,
                    "customer_id": c,
                    "recency_days": 1,
                    "frequency": 1,
                    "monetary_minor": 1,
                    "r_score": 1,
                    "f_score": 1,
                    "m_score": 1,
                    "segment": SEGMENTS[s][0],
                    "tier": "A",
                }
                for c, s in segment_of.items()
            ],
        )
    chunk = 100_000
    for first in range(0, answers, chunk):
        rows = []
        for idx in range(first, min(first + chunk, answers)):
            c = rng.randint(1, customers)
            score = max(0, min(10, round(rng.gauss(SEGMENTS[segment_of[c]][1], 2.0))))
            rows.append(
                {
                    "external_id": f"a{idx}",
                    "customer_id": c,
                    "kind": "survey_response",
                    "occurred_at": START + timedelta(seconds=rng.randrange(SPAN_SECONDS)),
                    "amount_minor": None,
                    "currency": None,
                    "payload": {"survey": "nps", "score": score},
                    "recorded_at": now,
                    "channel": None,
                }
            )
        with app.transaction() as session:
            session.execute(insert(Interaction), rows)
    inserted = time.perf_counter()
    with app.transaction() as session:
        backfill(app, session)
    print(
        f"  answers written as interactions in {inserted - began:.1f} s, indexed by the plugin "
        f"(patron refresh's backfill) in {time.perf_counter() - inserted:.1f} s"
    )


def run_plugin(app: Any) -> dict[str, tuple[int, float | None, float | None, float | None]]:
    report = app.reports["nps-breakdown"]
    params = {"survey": "nps", "as_of": AS_OF, "months": 12, "by": "rfm:segment"}
    with app.transaction() as session:
        result = report.run(app, session, params)
    rows = {r[0]: (r[1], r[2], r[3], r[6]) for r in result.tables[0].rows}
    rows[""] = (result.summary["answers"], result.summary["NPS"], None, None)
    return rows


def run_sql(app: Any) -> dict[str, tuple[int, float | None, float | None, float | None]]:
    from sqlalchemy import text

    from patron_nps import stats

    dialect = app.engine.dialect.name
    if dialect == "sqlite":
        window: dict[str, Any] = {"start": "2025-01-01 00:00:00", "end": "2026-01-01 00:00:00"}
    else:
        window = {"start": datetime(2025, 1, 1, tzinfo=UTC), "end": datetime(2026, 1, 1, tzinfo=UTC)}
    with app.engine.connect() as conn:
        counts = {
            g: (int(n), int(p), int(d))
            for g, n, p, d in conn.execute(text(HAND_SQL.format(quarter=QUARTER[dialect])), window)
        }

    # The same arithmetic as the report, on the statement's counts (10 passives stand for "the rest").
    def hist(n: int, p: int, d: int) -> dict[int, int]:
        return {10: p, 0: d, 8: n - p - d}

    whole = hist(*counts[""])
    out: dict[str, tuple[int, float | None, float | None, float | None]] = {}
    for group, (n, p, d) in counts.items():
        e = stats.nps(hist(n, p, d), 0.95, 30)
        if group == "":
            out[""] = (n, round(e.value, 1) if e.value is not None else None, None, None)
            continue
        rest = {k: whole[k] - v for k, v in hist(n, p, d).items()}
        test = stats.nps_difference(hist(n, p, d), rest, 0.95, 30)
        out[group] = (
            n,
            round(e.value, 1) if e.value is not None else None,
            round(e.low, 1) if e.low is not None else None,
            float(f"{test.p_value:.3g}") if test.p_value is not None else None,
        )
    return out


def bench(app: Any, repeat: int, label: str) -> bool:
    plugin_times, sql_times = [], []
    plugin = sql = None
    for i in range(repeat):
        # Interleaved, alternating which arm goes first, so drift and caching hit both alike.
        arms = [("plugin", run_plugin), ("sql", run_sql)]
        for name, fn in arms if i % 2 == 0 else reversed(arms):
            start = time.perf_counter()
            result = fn(app)
            (plugin_times if name == "plugin" else sql_times).append(time.perf_counter() - start)
            if name == "plugin":
                plugin = result
            else:
                sql = result
    assert plugin is not None and sql is not None
    ok = True
    if plugin != sql:
        diff = {g: (plugin.get(g), sql.get(g)) for g in set(plugin) | set(sql) if plugin.get(g) != sql.get(g)}
        print(f"[{label}] MISMATCH between the report and the hand-written SQL: {diff}")
        ok = False
    t_plugin, t_sql = statistics.median(plugin_times), statistics.median(sql_times)
    ratio = t_plugin / t_sql
    print(f"[{label}] answers counted: {plugin[''][0]:,} in {len(plugin) - 1} segments; overall NPS {plugin[''][1]}")
    print(
        f"[{label}] nps-breakdown: {t_plugin:.3f} s   hand-written SQL: {t_sql:.3f} s   "
        f"ratio {ratio:.2f} (target ≤ 1.5)"
    )
    return ok and ratio <= 1.5


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10,000 customers and 100,000 answers")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--postgres", metavar="URL", help="also run on a fresh database on this PostgreSQL server")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.answers = 10_000, 100_000
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = make_app(f"sqlite:///{folder / 'bench.db'}", folder)
        start = time.perf_counter()
        generate(app, args.customers, args.answers, args.seed)
        print(
            f"generated {args.customers:,} customers and {args.answers:,} answers "
            f"in {time.perf_counter() - start:.1f} s"
        )
        ok &= bench(app, args.repeat, "sqlite")
        app.dispose()
        if args.postgres:
            ok &= bench_postgres(args, folder)
    print("OK" if ok else "FAILED: the target was missed or the results differ")
    return 0 if ok else 1


def bench_postgres(args: argparse.Namespace, folder: Path) -> bool:
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from patron.db import normalize_url

    name = f"bench_nps_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(args.postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(normalize_url(args.postgres)).set(database=name).render_as_string(hide_password=False)
        pg_folder = folder / "pg"
        pg_folder.mkdir()
        app = make_app(url, pg_folder)
        start = time.perf_counter()
        generate(app, args.customers, args.answers, args.seed)
        print(f"[postgresql] generated in {time.perf_counter() - start:.1f} s")
        with app.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        ok = bench(app, args.repeat, "postgresql")
        app.dispose()
        return ok
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
