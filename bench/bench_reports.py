"""Benchmarks: shipped reports against hand-written SQL producing the same numbers, and against ``rfm score``.

One seeded shop per database (``bench_rfm.generate``: purchases skewed like
real shops, +5 % refunds), two RFM snapshots written untimed (so
``rfm-migration`` has two dates to compare), then, each arm a function in a
forked child of this process (imports paid, the job alone measured):

- ``reports-<report>-sqlite`` / ``-postgres``: the report's own run, read-only,
  with its parameters checked (what ``patron report run`` computes, less the
  footer's fingerprint, see ``report_result``) against
  the hand-written statements below, whose rows are turned into the same
  numbers; both arms' numbers are compared before a ratio is printed.
  Target 2.0 (CPU; on PostgreSQL client and server CPU together).
- ``reports-overview-vs-score-sqlite`` / ``-postgres``: ``overview``, the
  heaviest report, run whole (``run_report``, footer included), against
  ``patron rfm score`` on the same data (target 1.0: no report may take
  longer than scoring). Different jobs, so no result check.

Reports covered: overview, rfm-segments, rfm-heatmap, rfm-pareto,
rfm-migration (RFM snapshots written by the plugin's own scoring, untimed),
loyalty-tiers, loyalty-liability, loyalty-activity (a points ledger written
with one INSERT … SELECT from the purchases and refunds, then the plugin's own
tier review, untimed). The nps-*, email-* and clv-* reports read survey
answers, sends and model fits, which this shop does not have:
``bench_reports_plugins.py`` times them against hand-written SQL on a shop that
has them, and ``bench_nps.py`` times ``nps-breakdown``.

Sizes (customers/purchases): smoke 500/5,000; quick 10,000/100,000; full 100,000/1,000,000.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from harness import REGISTRY, Arm, Options, Pair, Pairs, benchmark, fresh_database, main, pick, postmaster_pid

_known = set(REGISTRY)
from bench_rfm import generate  # noqa: E402  (the same seeded shop as the RFM benchmark)

# Importing bench_rfm registered its own comparisons; this script runs only its own.
for _name in set(REGISTRY) - _known:
    del REGISTRY[_name]

AS_OF = date(2025, 1, 1)
BEFORE = date(2024, 10, 1)  # the second snapshot, for rfm-migration
TARGET = 2.0

# ---------------------------------------------------------------------------
# The shop, once per database and process
# ---------------------------------------------------------------------------

_SHOPS: dict[str, Path] = {}


def _scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _make_app(url: str, folder: Path) -> Any:
    from patron.app import App
    from patron.config import load_settings

    path = folder / "patron.toml"
    path.write_text(f'[patron]\ndatabase_url = "{url}"\nplugins = ["rfm", "loyalty"]\n', encoding="utf-8")
    app = App(load_settings(path, env={}))
    app.upgrade_database()
    return app


def _create_pg_database(server: str) -> str:
    """A fresh database on ``server`` for this process's shop, dropped when the process exits."""
    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    return stack.enter_context(fresh_database(server, "bench_reports"))


def shop(options: Options, engine: str) -> Path:
    """The folder of a ``patron.toml`` whose database holds the seeded shop and two snapshots (made once)."""
    if engine in _SHOPS:
        return _SHOPS[engine]
    folder = _scratch()
    if engine == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        assert options.postgres is not None
        url = _create_pg_database(options.postgres)
    app = _make_app(url, folder)
    generate(app, *sizes(options), seed=5)
    from patron_rfm.snapshots import score

    for day in (BEFORE, AS_OF):
        with app.transaction() as session:
            score(app, session, day)
    ledger(app)
    if app.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with app.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    app.dispose()
    # Forked arms measure the job, not imports: pay them here, once, before any fork.
    import patron.reports.overview
    import patron.reports.runner  # noqa: F401
    import patron_loyalty.reports  # noqa: F401
    import patron_rfm.reports  # noqa: F401

    _SHOPS[engine] = folder
    return folder


LEDGER_SQL = """
INSERT INTO loyalty_ledger (customer_id, kind, points, source, interaction_id, amount_minor, idempotency_key,
                            batch, occurred_at, recorded_at)
SELECT customer_id, CASE WHEN kind = 'purchase' THEN 'earn' ELSE 'reverse' END,
       CASE WHEN kind = 'purchase' THEN amount_minor / 100 ELSE -(amount_minor / 100) END,
       'bench', id, amount_minor, 'bench:' || CAST(id AS VARCHAR(20)), 'bench', occurred_at, occurred_at
FROM interactions WHERE kind IN ('purchase', 'refund')
"""


def ledger(app: Any) -> None:
    """Untimed: a points ledger (one point per euro earned, refunds clawed back), then the plugin's tier review.

    The ledger is written in one INSERT … SELECT (the loyalty benchmark times earning itself); the tiers
    come from ``patron_loyalty.tiers.recompute``, the code ``patron loyalty tiers recompute`` runs.
    """
    from sqlalchemy import text

    from patron_loyalty.tiers import recompute

    with app.transaction() as session:
        session.execute(text(LEDGER_SQL))
    with app.transaction() as session:
        recompute(app, session, datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC))


def sizes(options: Options) -> tuple[int, int]:
    return pick(options, 500, 10_000, 100_000), pick(options, 5000, 100_000, 1_000_000)


def arm_app(folder: Path) -> Any:
    """An app on the shop's database whose engine is created on first use (in the forked child)."""
    from patron.app import App
    from patron.config import load_settings

    return App(load_settings(folder / "patron.toml", env={}))


def note(options: Options, engine: str) -> str:
    customers, purchases = sizes(options)
    return f"{customers:,} customers, {purchases:,} purchases (+5 % refunds), {engine}"


def _minor(value: Any) -> Any:
    from patron.money import Money

    return (value.minor, value.currency) if isinstance(value, Money) else value


def _round(value: Any, places: int = 2) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _day(value: Any) -> str:
    """A timestamp from either engine as ``YYYY-MM-DD`` (UTC)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date().isoformat()
    return str(value)[:10]


# ---------------------------------------------------------------------------
# overview
# ---------------------------------------------------------------------------


def overview_numbers(result: Any) -> dict[str, Any]:
    """What the report says, as plain comparable numbers."""
    tables = {t.name: t for t in result.tables}
    heat = next(f for f in result.figures if f.kind == "heatmap")
    return {
        "revenue": [(r[0][:7], r[1], _minor(r[2])) for r in tables["revenue_by_month"].rows],
        "mix": [(r[0][:7], r[1], r[2]) for r in tables["new_vs_returning"].rows],
        "top": [(r[1], r[4], _minor(r[5]), r[6].isoformat()) for r in tables["top_customers"].rows],
        "figures": [tuple(_minor(v) for v in r[1:3] + r[4:5]) for r in tables["key_figures"].rows],
        "channels": {ch: [int(v) for v in values] for ch, values in heat.series.items()},
    }


def run_overview(folder: Path) -> dict[str, Any]:
    from patron.reports.runner import run_report

    app = arm_app(folder)
    return overview_numbers(run_report(app, "overview", [f"as_of={AS_OF}"]).result)


def _periods() -> dict[str, Any]:
    """The overview's default window (12 months to AS_OF, 90 active days) and its comparison periods."""
    from patron.reports.periods import Period

    end = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
    start = datetime(AS_OF.year - 1, AS_OF.month, 1, tzinfo=UTC)
    window, active = Period(start, end), Period(end - timedelta(days=90), end)
    return {
        "end": end,
        "start": start,
        "months": [f"{AS_OF.year - 1}-{m:02d}" for m in range(1, 13)],
        "window": [window, window.previous(), window.year_earlier()],
        "active": [active, active.previous(), active.year_earlier()],
    }


def sql_overview(folder: Path) -> dict[str, Any]:
    """The overview's numbers from hand-written statements: one pass each, days summed up in Python."""
    from sqlalchemy import text

    app = arm_app(folder)
    pg = app.engine.dialect.name == "postgresql"
    p = _periods()

    def t(moment: datetime) -> Any:
        return moment if pg else moment.strftime("%Y-%m-%d %H:%M:%S")

    day = "to_char(timezone('UTC', {c}), 'YYYY-MM-DD')" if pg else "substr({c}, 1, 10)"
    month = "to_char(timezone('UTC', {c}), 'YYYY-MM')" if pg else "substr({c}, 1, 7)"
    lo = min(w.start for w in p["window"])
    end, start = p["end"], p["start"]
    with app.engine.connect() as conn:
        currency = conn.execute(
            text(
                "SELECT currency FROM interactions WHERE kind = 'purchase' AND currency IS NOT NULL "
                "AND occurred_at < :end GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1"
            ),
            {"end": t(end)},
        ).scalar_one()
        daily = conn.execute(
            text(
                f"SELECT {day.format(c='occurred_at')}, "
                "SUM(CASE WHEN kind = 'purchase' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'purchase' THEN amount_minor ELSE -amount_minor END) "
                "FROM interactions WHERE kind IN ('purchase', 'refund') AND currency = :cur "
                "AND occurred_at >= :lo AND occurred_at < :end GROUP BY 1"
            ),
            {"cur": currency, "lo": t(lo), "end": t(end)},
        ).all()
        a = p["active"]
        active = conn.execute(
            text(
                "SELECT "
                + ", ".join(
                    f"COUNT(DISTINCT CASE WHEN occurred_at >= :s{i} AND occurred_at < :e{i} THEN customer_id END)"
                    for i in range(3)
                )
                + " FROM interactions WHERE kind = 'purchase' AND occurred_at >= :lo AND occurred_at < :end"
            ),
            {
                **{f"s{i}": t(x.start) for i, x in enumerate(a)},
                **{f"e{i}": t(x.end) for i, x in enumerate(a)},
                "lo": t(min(x.start for x in a)),
                "end": t(end),
            },
        ).one()
        buyers = dict(
            conn.execute(
                text(
                    f"SELECT {month.format(c='occurred_at')}, COUNT(DISTINCT customer_id) FROM interactions "
                    "WHERE kind = 'purchase' AND occurred_at >= :start AND occurred_at < :end GROUP BY 1"
                ),
                {"start": t(start), "end": t(end)},
            ).all()
        )
        firsts = conn.execute(
            text(
                f"SELECT {day.format(c='f')}, COUNT(*) FROM (SELECT MIN(occurred_at) AS f FROM interactions "
                "WHERE kind = 'purchase' AND occurred_at < :end GROUP BY customer_id) AS firsts "
                "WHERE f >= :lo GROUP BY 1"
            ),
            {"lo": t(lo), "end": t(end)},
        ).all()
        channels = conn.execute(
            text(
                f"SELECT COALESCE(channel, 'unknown'), {month.format(c='occurred_at')}, COUNT(*) FROM interactions "
                "WHERE occurred_at >= :start AND occurred_at < :end GROUP BY 1, 2"
            ),
            {"start": t(start), "end": t(end)},
        ).all()
        top = conn.execute(
            text(
                "SELECT c.id, x.n, x.total, x.last FROM (SELECT customer_id, "
                "SUM(CASE WHEN kind = 'purchase' THEN 1 ELSE 0 END) AS n, "
                "SUM(CASE WHEN kind = 'purchase' THEN amount_minor ELSE -amount_minor END) AS total, "
                "MAX(occurred_at) AS last FROM interactions WHERE kind IN ('purchase', 'refund') "
                "AND currency = :cur AND occurred_at >= :start AND occurred_at < :end "
                "GROUP BY customer_id ORDER BY total DESC, customer_id LIMIT 10) AS x "
                "JOIN customers c ON c.id = x.customer_id ORDER BY x.total DESC, c.id"
            ),
            {"cur": currency, "start": t(start), "end": t(end)},
        ).all()
        customers = conn.execute(
            text(
                "SELECT "
                + ", ".join(f"SUM(CASE WHEN created_at < :e{i} THEN 1 ELSE 0 END)" for i in range(3))
                + " FROM customers"
            ),
            {f"e{i}": t(x.end) for i, x in enumerate(p["window"])},
        ).one()
    app.dispose()

    def within(d: str, w: Any) -> bool:
        return w.start.date().isoformat() <= d < w.end.date().isoformat()

    revenue = {m: [0, 0] for m in p["months"]}
    for d, n, total in daily:
        if d[:7] in revenue and within(d, p["window"][0]):
            revenue[d[:7]][0] += int(n)
            revenue[d[:7]][1] += int(total)
    new: Counter[str] = Counter()
    for d, n in firsts:
        if within(d, p["window"][0]):
            new[d[:7]] += int(n)
    figures = []
    for i, w in enumerate(p["window"]):
        n = sum(int(x) for d, x, _ in daily if within(d, w))
        total = sum(int(x) for d, _, x in daily if within(d, w))
        mean = (Decimal(total) / n).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) if n else 0
        figures.append(
            (int(customers[i]), int(active[i]), total, n, int(mean), sum(int(x) for d, x in firsts if within(d, w)))
        )
    # The report's rows are key figures, its columns periods (now, previous, a year earlier).
    by_figure = [
        tuple((v, currency) if k in (2, 4) else v for v in (figures[0][k], figures[1][k], figures[2][k]))
        for k in range(6)
    ]
    heat: dict[str, list[int]] = {}
    for ch, m, n in channels:
        heat.setdefault(ch, [0] * len(p["months"]))[p["months"].index(m)] = int(n)
    return {
        "revenue": [(m, n, (v, currency)) for m, (n, v) in revenue.items()],
        "mix": [(m, new[m], int(buyers.get(m, 0)) - new[m]) for m in p["months"]],
        "top": [(cid, int(n), (int(v), currency), _day(last)) for cid, n, v, last in top],
        "figures": by_figure,
        "channels": dict(sorted(heat.items())),
    }


# ---------------------------------------------------------------------------
# RFM reports (they read the snapshots `patron rfm score` stores)
# ---------------------------------------------------------------------------

CURRENCY_SQL = (
    "SELECT currency FROM interactions WHERE kind = 'purchase' AND currency IS NOT NULL AND occurred_at < :end "
    "GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1"
)


def _sql(folder: Path, job: Callable[[Any, Any, dict[str, Any]], Any]) -> Any:
    """Run ``job(conn, t, snapshots)`` on a fresh connection; ``snapshots`` maps as_of ISO date → id."""
    from sqlalchemy import text

    app = arm_app(folder)
    pg = app.engine.dialect.name == "postgresql"

    def t(moment: datetime) -> Any:
        return moment if pg else moment.strftime("%Y-%m-%d %H:%M:%S")

    with app.engine.connect() as conn:
        snapshots = {str(d)[:10]: i for d, i in conn.execute(text("SELECT as_of, id FROM rfm_snapshots"))}
        found = job(conn, t, snapshots)
    app.dispose()
    return found


def _currency(conn: Any, t: Any) -> str:
    from sqlalchemy import text

    end = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
    return str(conn.execute(text(CURRENCY_SQL), {"end": t(end)}).scalar_one())


def segments_numbers(result: Any) -> list[tuple[Any, ...]]:
    rows = result.tables[0].rows
    return sorted((r[1], r[4], r[5], _minor(r[6])) for r in rows if r[1])


def sql_segments(folder: Path) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> list[tuple[Any, ...]]:
        currency = _currency(conn, t)
        rows = conn.execute(
            text(
                "SELECT COUNT(*), AVG(recency_days), AVG(frequency), AVG(monetary_minor) FROM rfm_scores "
                "WHERE snapshot_id = :s GROUP BY segment"
            ),
            {"s": snapshots[AS_OF.isoformat()]},
        )
        return sorted(
            (int(n), float(_round(r)), float(_round(f)), (int(_round(m, 0)), currency)) for n, r, f, m in rows
        )

    return _sql(folder, job)  # type: ignore[no-any-return]


def heatmap_numbers(result: Any) -> list[tuple[Any, ...]]:
    return sorted((r[0], r[1], r[2], _minor(r[3])) for r in result.tables[0].rows if r[2])


def sql_heatmap(folder: Path) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> list[tuple[Any, ...]]:
        currency = _currency(conn, t)
        rows = conn.execute(
            text(
                "SELECT r_score, f_score, COUNT(*), AVG(monetary_minor) FROM rfm_scores WHERE snapshot_id = :s "
                "GROUP BY r_score, f_score"
            ),
            {"s": snapshots[AS_OF.isoformat()]},
        )
        return sorted((int(r), int(f), int(n), (int(_round(m, 0)), currency)) for r, f, n, m in rows)

    return _sql(folder, job)  # type: ignore[no-any-return]


def pareto_numbers(result: Any) -> dict[str, Any]:
    figure = result.figures[0]
    return {
        "tiers": [(r[0], r[1], _minor(r[3])) for r in result.tables[0].rows],
        "curve": list(zip(figure.x, next(iter(figure.series.values())), strict=True)),
    }


def sql_pareto(folder: Path) -> dict[str, Any]:
    from sqlalchemy import text

    from patron_rfm.abc import TIERS  # the tier names the report lists (A to D), not a query

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> dict[str, Any]:
        currency = _currency(conn, t)
        s = snapshots[AS_OF.isoformat()]
        tiers = {
            tier: (int(n), int(v))
            for tier, n, v in conn.execute(
                text("SELECT tier, COUNT(*), SUM(monetary_minor) FROM rfm_scores WHERE snapshot_id = :s GROUP BY tier"),
                {"s": s},
            )
        }
        n = sum(tiers.get(k, (0, 0))[0] for k in "ABC")
        total = sum(tiers.get(k, (0, 0))[1] for k in "ABC")
        points = conn.execute(
            text(
                "SELECT (pos * 100 + :n - 1) / :n AS pct, MAX(cum) FROM (SELECT "
                "ROW_NUMBER() OVER (ORDER BY monetary_minor DESC, customer_id) AS pos, "
                "SUM(monetary_minor) OVER (ORDER BY monetary_minor DESC, customer_id) AS cum "
                "FROM rfm_scores WHERE snapshot_id = :s AND monetary_minor > 0) AS ranked GROUP BY 1 ORDER BY 1"
            ),
            {"s": s, "n": n},
        ).all()
        return {
            "tiers": [(k, tiers.get(k, (0, 0))[0], (tiers.get(k, (0, 0))[1], currency)) for k in TIERS],
            "curve": [(int(pct), float(_round(Decimal(int(cum)) * 100 / Decimal(total)))) for pct, cum in points],
        }

    return _sql(folder, job)  # type: ignore[no-any-return]


def migration_numbers(result: Any) -> list[int]:
    return sorted(v for row in result.tables[0].rows for v in row[1:] if v)


def sql_migration(folder: Path) -> list[int]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> list[int]:
        rows = conn.execute(
            text(
                "SELECT COUNT(*) FROM rfm_scores a LEFT JOIN rfm_scores b "
                "ON b.customer_id = a.customer_id AND b.snapshot_id = :after "
                "WHERE a.snapshot_id = :before GROUP BY a.segment, b.segment "
                "UNION ALL SELECT COUNT(*) FROM rfm_scores b WHERE b.snapshot_id = :after AND NOT EXISTS "
                "(SELECT 1 FROM rfm_scores a WHERE a.customer_id = b.customer_id AND a.snapshot_id = :before) "
                "GROUP BY b.segment"
            ),
            {"before": snapshots[BEFORE.isoformat()], "after": snapshots[AS_OF.isoformat()]},
        )
        return sorted(int(n) for (n,) in rows)

    return _sql(folder, job)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# Loyalty reports (they read the points ledger and the tier tables)
# ---------------------------------------------------------------------------


def tiers_numbers(result: Any) -> dict[str, Any]:
    distribution, movements = result.tables
    return {
        "distribution": sorted(tuple(r) for r in distribution.rows),
        "moves": sorted(tuple(r) for r in movements.rows),
    }


def sql_tiers(folder: Path) -> dict[str, Any]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> dict[str, Any]:
        distribution = conn.execute(text("SELECT scheme, tier, COUNT(*) FROM loyalty_tiers GROUP BY scheme, tier"))
        moves = conn.execute(
            text(
                "SELECT scheme, COALESCE(from_tier, '(none)'), to_tier, reason, COUNT(*) FROM loyalty_tier_history "
                "GROUP BY scheme, COALESCE(from_tier, '(none)'), to_tier, reason"
            )
        )
        return {
            "distribution": sorted((a, b, int(n)) for a, b, n in distribution),
            "moves": sorted((a, b, c, d, int(n)) for a, b, c, d, n in moves),
        }

    return _sql(folder, job)  # type: ignore[no-any-return]


def liability_numbers(result: Any) -> tuple[Any, ...]:
    return tuple(_minor(v) for v in result.tables[0].rows[0])


def sql_liability(folder: Path) -> tuple[Any, ...]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> tuple[Any, ...]:
        positive, negative, holders = conn.execute(
            text(
                "SELECT COALESCE(SUM(CASE WHEN b > 0 THEN b ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN b < 0 THEN b ELSE 0 END), 0), COUNT(CASE WHEN b > 0 THEN 1 END) "
                "FROM (SELECT customer_id, SUM(points) AS b FROM loyalty_ledger GROUP BY customer_id) AS balances"
            )
        ).one()
        currencies = conn.execute(
            text(
                "SELECT c.currency FROM (SELECT DISTINCT currency FROM interactions WHERE currency IS NOT NULL) c "
                "WHERE EXISTS (SELECT 1 FROM loyalty_ledger l JOIN interactions i ON i.id = l.interaction_id "
                "WHERE l.kind = 'earn' AND i.currency = c.currency) ORDER BY 1 LIMIT 3"
            )
        ).all()
        (currency,) = currencies[0]
        # One point is worth point_value_minor (default 1) minor unit.
        return (int(positive), int(negative), int(holders), (int(positive), currency))

    return _sql(folder, job)  # type: ignore[no-any-return]


def activity_numbers(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in result.tables[0].rows]


def sql_activity(folder: Path) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> list[tuple[Any, ...]]:
        pg = conn.dialect.name == "postgresql"
        month = "to_char(timezone('UTC', occurred_at), 'YYYY-MM')" if pg else "substr(occurred_at, 1, 7)"
        sums = ", ".join(
            f"SUM(CASE WHEN kind = '{k}' THEN points ELSE 0 END)"
            for k in ("earn", "redeem", "expire", "adjust", "reverse")
        )
        rows = conn.execute(text(f"SELECT {month}, {sums} FROM loyalty_ledger GROUP BY 1 ORDER BY 1"))
        return [(m, *(int(v) for v in values)) for m, *values in rows]

    return _sql(folder, job)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# Registration: every report on both engines, and the heaviest against `rfm score`
# ---------------------------------------------------------------------------

REPORTS: dict[str, tuple[list[str], Callable[[Any], Any], Callable[[Path], Any]]] = {
    "overview": ([f"as_of={AS_OF}"], overview_numbers, sql_overview),
    "rfm-segments": ([], segments_numbers, sql_segments),
    "rfm-heatmap": ([], heatmap_numbers, sql_heatmap),
    "rfm-pareto": ([], pareto_numbers, sql_pareto),
    "rfm-migration": ([], migration_numbers, sql_migration),
    "loyalty-tiers": ([], tiers_numbers, sql_tiers),
    "loyalty-liability": ([], liability_numbers, sql_liability),
    "loyalty-activity": ([], activity_numbers, sql_activity),
}


def report_result(app: Any, name: str, assignments: list[str]) -> Any:
    """What ``patron report run`` computes, without the footer: parameters checked, the report run read-only.

    The footer's data fingerprint (three aggregate queries over the core tables, the same for every
    report; about 0.3 s of 1,000,000 interactions on SQLite) is not the report's numbers, so the
    comparison with hand-written SQL leaves it out; ``reports-overview-vs-score-*`` includes it.
    """
    from patron.reports.params import parse_params
    from patron.reports.runner import get_report, read_only_session

    report = get_report(app, name)
    params = parse_params(report, assignments)
    with read_only_session(app) as session:
        return report.run(app, session, params)


#: One report's benchmark: its parameters, what is compared of its result, and the hand-written SQL.
ReportCase = tuple[list[str], Callable[[Any], Any], Callable[[Path], Any]]


def register_report_benchmarks(
    reports: dict[str, ReportCase],
    shop: Callable[[Options, str], Path],
    note: Callable[[Options, str], str],
) -> None:
    """Register ``reports-<name>-sqlite`` and ``-postgres`` for every report: its own run against its SQL.

    ``shop(options, engine)`` gives the folder of the prepared database; ``note(options, label)`` the
    line printed with the result. Used by this script and by ``bench_reports_plugins``.
    """

    def pair(options: Options, engine: str, name: str) -> Pair:
        folder = shop(options, engine)
        assignments, numbers, sql = reports[name]

        def report() -> Any:
            return numbers(report_result(arm_app(folder), name, assignments))

        server = postmaster_pid(options.postgres) if engine == "postgresql" and options.postgres else None
        label = "SQLite" if engine == "sqlite" else "PostgreSQL"
        return Pair(
            Arm.forked(f"report {name} ({label})", report),
            Arm.forked(f"hand-written SQL ({label})", lambda: sql(folder)),
            server=server,
            note=note(options, label),
        )

    def register(name: str, engine: str) -> None:
        suffix = "sqlite" if engine == "sqlite" else "postgres"

        def make(options: Options) -> Pairs:
            yield pair(options, engine, name)

        benchmark(
            f"reports-{name}-{suffix}",
            target=TARGET,
            needs_postgres=engine == "postgresql",
            doc=f"report {name} / hand-written SQL, {engine} (CPU)",
        )(make)

    for engine in ("sqlite", "postgresql"):
        for name in reports:
            register(name, engine)


register_report_benchmarks(REPORTS, shop, note)


def _versus_score(options: Options, engine: str) -> Pair:
    folder = shop(options, engine)
    label = "SQLite" if engine == "sqlite" else "PostgreSQL"

    def scoring() -> int:
        from patron_rfm.snapshots import score

        app = arm_app(folder)
        with app.transaction() as session:
            return int(score(app, session, AS_OF).customers)

    server = postmaster_pid(options.postgres) if engine == "postgresql" and options.postgres else None

    def overview() -> int:
        from patron.reports.runner import run_report

        return len(run_report(arm_app(folder), "overview", [f"as_of={AS_OF}"]).result.tables)

    return Pair(
        Arm.forked(f"report run overview ({label})", overview),
        Arm.forked(f"rfm score ({label})", scoring),
        server=server,
        note=note(options, label),
    )


@benchmark(
    "reports-overview-vs-score-sqlite",
    target=1.0,
    same_result=False,
    doc="report overview / patron rfm score, SQLite (CPU)",
)
def overview_vs_score_sqlite(options: Options) -> Pairs:
    yield _versus_score(options, "sqlite")


@benchmark(
    "reports-overview-vs-score-postgres",
    target=1.0,
    same_result=False,
    needs_postgres=True,
    doc="report overview / patron rfm score, PostgreSQL (CPU)",
)
def overview_vs_score_postgres(options: Options) -> Pairs:
    yield _versus_score(options, "postgresql")


if __name__ == "__main__":
    raise SystemExit(main())
