"""Benchmarks: the ``nps-breakdown`` report against a hand-written SQL statement computing the same numbers.

Generates a seeded data set (customers and NPS answers over two years, with
repeat answers inside a quarter), an RFM snapshot placing every customer in one
of the eleven segments (written directly: the benchmark is about the survey
plugin), and indexes the answers with the plugin's own ``patron refresh`` job,
all untimed. Then, on the same database, each arm a function run in a forked
child of this process (imports, plugin loading and statement compilation paid
beforehand by an untimed warm-up run of both; every run opens its own
connection):

- plugin: ``nps-breakdown`` by ``rfm:segment`` over 2025 (the report object's
  ``run``: one answer per customer and quarter, the segments through the RFM
  plugin's audiences, NPS with interval and a test per segment);
- sql: one hand-written statement (window function for the dedup, a join on
  the latest RFM snapshot, GROUP BY segment plus the overall row), whose counts
  are turned into the same NPS, interval and p-values in Python.

Both arms' numbers (per segment: answers, NPS, interval low, p-value; overall:
answers, NPS) must be equal in every run before a ratio is printed; the
statement's segment keys are named as the report shows them, by the
audiences' titles (``at_risk`` → ``At Risk``), after each run, untimed.

- ``nps-sqlite``: plugin / sql on SQLite (target 1.5, CPU);
- ``nps-postgres``: the same on a fresh database on the ``--postgres`` server
  (target 1.5; CPU of the client and the server together).

Sizes (customers/answers): smoke 500/5,000; quick 10,000/100,000; full 100,000/1,000,000.

    python bench/bench_nps.py [nps-sqlite|nps-postgres] [--smoke|--full] [--rounds N] [--postgres URL]
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import Arm, Options, Pair, Pairs, benchmark, fresh_database, main, pick, postmaster_pid

SEED = 14

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


Numbers = dict[str, tuple[int, float | None, float | None, float | None]]


def sizes(options: Options) -> tuple[int, int]:
    """(customers, answers) for the size asked for."""
    return pick(options, 500, 10_000, 100_000), pick(options, 5_000, 100_000, 1_000_000)


def prepare(url: str, folder: Path, options: Options) -> Any:
    """Untimed: the schema, the data set and a warm app whose connections are closed (safe to fork).

    The returned app has run both arms once (imports, plugin loading, the
    report's statements compiled), then closed its connections: each forked run
    opens its own, as a fresh ``patron report run`` would, but compiles nothing anew.
    """
    customers, answers = sizes(options)
    app = make_app(url, folder)
    generate(app, customers, answers, SEED)
    if app.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with app.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    plugin, sql = run_plugin(app), as_shown(app, run_sql(app))
    if plugin != sql:  # the measured runs will give no ratio; say where they differ
        diff = {g: (plugin.get(g), sql.get(g)) for g in sorted(set(plugin) | set(sql)) if plugin.get(g) != sql.get(g)}
        print(f"  the report and the hand-written SQL differ (report, SQL) in: {diff}", flush=True)
    app.dispose()
    return app


def as_shown(app: Any, numbers: Numbers) -> Numbers:
    """Untimed, after a hand-SQL run: its segment keys as the report shows them, the audiences' titles
    (``at_risk`` → ``At Risk``, the label the RFM plugin gives ``rfm:segment:at_risk``)."""
    return {app.audiences[f"rfm:segment:{group}"].title if group else group: v for group, v in numbers.items()}


def pair(app: Any, label: str, options: Options, server: int | None = None) -> Pair:
    customers, answers = sizes(options)
    return Pair(
        Arm.forked(f"nps-breakdown ({label})", lambda: run_plugin(app), setup=app.dispose),
        Arm.forked(
            f"hand-written SQL ({label})",
            lambda: run_sql(app),
            setup=app.dispose,
            result=lambda numbers: as_shown(app, numbers),
        ),
        server=server,
        note=f"{customers:,} customers, {answers:,} answers over two years, by rfm:segment over 2025, {label}",
    )


@benchmark("nps-sqlite", target=1.5, doc="nps-breakdown by rfm:segment / hand-written SQL, SQLite (CPU)")
def nps_sqlite(options: Options) -> Pairs:
    with tempfile.TemporaryDirectory(prefix="bench-nps-") as tmp:
        folder = Path(tmp)
        app = prepare(f"sqlite:///{folder / 'bench.db'}", folder, options)
        try:
            yield pair(app, "SQLite", options)
        finally:
            app.dispose()


@benchmark(
    "nps-postgres",
    target=1.5,
    needs_postgres=True,
    doc="nps-breakdown by rfm:segment / hand-written SQL, PostgreSQL (client + server CPU)",
)
def nps_postgres(options: Options) -> Pairs:
    assert options.postgres is not None
    with fresh_database(options.postgres, "bench_nps") as url, tempfile.TemporaryDirectory(prefix="bench-nps-") as tmp:
        app = prepare(url, Path(tmp), options)
        try:
            yield pair(app, "PostgreSQL", options, server=postmaster_pid(url))
        finally:
            app.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
