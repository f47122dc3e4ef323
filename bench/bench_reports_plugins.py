"""Benchmarks: the email, clv and survey (nps) plugins' reports against hand-written SQL producing the same numbers.

The companion of ``bench_reports.py`` (overview, rfm-*, loyalty-*) and
``bench_nps.py`` (nps-breakdown), for every other shipped report. One seeded
shop per database, all untimed:

- customers and their purchases over 2023–2024: ``bench_clv.simulate`` and
  ``store``, the CLV benchmark's shop (a BG/NBD buying process with dropout,
  about ten purchases per customer; the RFM benchmark's evenly spread
  purchases give a BG/NBD fit no maximum), and one RFM snapshot at 2025-01-01
  written by the plugin's own scoring (``clv-by-segment`` groups by its segments);
- survey answers (five per customer; 50 % NPS, 30 % CSAT, 20 % CES,
  over 2023 and 2024, scores skewed by customer) recorded as
  ``survey_response`` interactions through ``patron.ingest.record_interactions``,
  which indexes them into ``nps_answers`` and opens the follow-ups of low
  scores (the plugin's own event handler); two thirds of the follow-ups are then
  closed 0–30 days after opening, in one bulk UPDATE of ``nps_followups``
  (the plugin's ``close`` is one follow-up at a time);
- email: ten campaigns, each to every customer, written by direct inserts into
  the plugin's tables (``email_sends``: sent, skipped for each reason, failed,
  unknown, claimed; ``email_bounces``: hard, soft and complaints, some without
  a campaign) rather than through SMTP, which this benchmark is not about
  (``bench_email.py`` times sending); unsubscribes appended to the consent log
  with ``patron.ingest.append_consents`` (source ``email:unsubscribe:<campaign>``);
- one CLV fit (``patron_clv.snapshots.fit``, the code of ``patron clv fit
  --calibration-end 2024-07-01 --holdout-end 2025-01-01``) on the purchases;
  the clv reports read the stored fit.

Then, each arm a function in a forked child of this process (imports paid
before the forks), ``reports-<report>-sqlite`` / ``-postgres``: the report's own
run, read-only, parameters checked (``bench_reports.report_result``: what
``patron report run`` computes, less the footer's fingerprint), against
hand-written statements whose rows are turned into the same numbers (scores and
intervals with ``patron_nps.stats``, as ``bench_nps`` does). Both arms' numbers
are compared, untimed, before a ratio is printed. Target 2.0 (CPU; on
PostgreSQL client and server CPU together).

Reports covered: email-campaign, email-deliverability, nps-summary,
csat-summary, ces-summary, nps-trend, nps-followups, clv-distribution,
clv-by-segment (family ``rfm:segment``), clv-holdout. ``clv-holdout`` shows the
validation ``patron clv fit`` stored with the fit (model predictions next to
actual purchases): its baseline is the one statement reading that row, since
no SQL can recompute a model's predictions.

Sizes (customers/purchases/answers/sends): smoke 2,000/19,000/10,000/20,000;
quick 10,000/99,000/50,000/100,000; full 100,000/975,000/500,000/1,000,000
(1.5 million interactions at full size).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import REGISTRY, Options, main, pick

_known = set(REGISTRY)
# The seeded shop and the helpers of the report benchmark (its scratch folders, databases and arms).
# The CLV benchmark's shop: purchases a BG/NBD fit can fit.
from bench_clv import simulate, store  # noqa: E402
from bench_reports import _create_pg_database, _scratch, _sql, register_report_benchmarks  # noqa: E402

# Importing bench_clv and bench_reports (and through it bench_rfm) registered their comparisons; only ours run.
for _name in set(REGISTRY) - _known:
    del REGISTRY[_name]

AS_OF = date(2025, 1, 1)
AS_OF_MOMENT = datetime(2025, 1, 1, tzinfo=UTC)
CALIBRATION_END = date(2024, 7, 1)
ANSWERS_FROM = datetime(2023, 1, 1, tzinfo=UTC)
ANSWER_SECONDS = int((AS_OF_MOMENT - ANSWERS_FROM).total_seconds())
SURVEYS = (("nps", 0.5, 0, 10), ("csat", 0.3, 1, 5), ("ces", 0.2, 1, 7))
CAMPAIGNS = [f"campaign-2024-{m:02d}" for m in range(1, 11)]
SEED = 12

# ---------------------------------------------------------------------------
# The shop, once per database and process
# ---------------------------------------------------------------------------

_SHOPS: dict[str, Path] = {}


def sizes(options: Options) -> tuple[int, int]:
    """(customers, survey answers); purchases are about 10 per customer, sends one per customer and campaign."""
    customers = pick(options, 2000, 10_000, 100_000)
    return customers, customers * 5


def note(options: Options, label: str) -> str:
    customers, answers = sizes(options)
    sends = customers * len(CAMPAIGNS)
    return f"{customers:,} customers (~10 purchases each), {answers:,} answers, {sends:,} sends, {label}"


def _make_app(url: str, folder: Path) -> Any:
    from patron.app import App
    from patron.config import load_settings

    path = folder / "patron.toml"
    path.write_text(
        f'[patron]\ndatabase_url = "{url}"\nplugins = ["rfm", "nps", "email", "clv"]\n\n[plugins.clv]\nunit = "day"\n',
        encoding="utf-8",
    )
    app = App(load_settings(path, env={}))
    app.upgrade_database()
    return app


def shop(options: Options, engine: str) -> Path:
    """The folder of a ``patron.toml`` whose database holds the shop, answers, sends and a CLV fit (made once)."""
    if engine in _SHOPS:
        return _SHOPS[engine]
    folder = _scratch()
    if engine == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        assert options.postgres is not None
        url = _create_pg_database(options.postgres)
    app = _make_app(url, folder)
    customers, answers = sizes(options)
    store(app, customers, simulate(customers, SEED))
    from patron_clv.snapshots import fit
    from patron_rfm.snapshots import score

    with app.transaction() as session:
        score(app, session, AS_OF)
    survey_answers(app, customers, answers, random.Random(SEED))
    close_followups(app, random.Random(SEED + 1))
    email(app, customers, random.Random(SEED + 2))
    with app.transaction() as session:
        fit(app, session, CALIBRATION_END, AS_OF)
    if app.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with app.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    app.dispose()
    # Forked arms measure the job, not imports: pay them here, once, before any fork.
    import patron.reports.runner  # noqa: F401
    import patron_clv.reports  # noqa: F401
    import patron_email.reports  # noqa: F401
    import patron_nps.reports  # noqa: F401

    _SHOPS[engine] = folder
    return folder


def survey_answers(app: Any, customers: int, answers: int, rng: random.Random) -> None:
    """Untimed: answers as ``survey_response`` interactions, indexed (and follow-ups opened) by the plugin."""
    from patron.ingest import record_interactions

    mood = [rng.random() for _ in range(customers + 1)]  # some customers like the shop more
    names = [s[0] for s in SURVEYS]
    weights = [s[1] for s in SURVEYS]
    scale = {s[0]: (s[2], s[3]) for s in SURVEYS}
    chunk = 50_000
    for first in range(0, answers, chunk):
        rows = []
        for idx in range(first, min(first + chunk, answers)):
            c = rng.randint(1, customers)
            survey = rng.choices(names, weights)[0]
            low, high = scale[survey]
            value = low + (high - low) * (0.35 * mood[c] + 0.65 * rng.random()) ** 0.6
            rows.append(
                {
                    "external_id": f"s{idx}",
                    "customer_id": c,
                    "kind": "survey_response",
                    "occurred_at": ANSWERS_FROM + timedelta(seconds=rng.randrange(ANSWER_SECONDS)),
                    "payload": {"survey": survey, "score": max(low, min(high, round(value)))},
                }
            )
        with app.transaction() as session:
            record_interactions(app, session, rows)


def close_followups(app: Any, rng: random.Random) -> None:
    """Untimed: two thirds of the follow-ups closed 0–30 days after they opened (some after AS_OF: still open then)."""
    from sqlalchemy import select, update

    from patron_nps.models import NpsFollowup

    with app.transaction() as session:
        opened = session.execute(select(NpsFollowup.id, NpsFollowup.opened_at)).all()
        closes = [
            {"id": i, "closed_at": at + timedelta(seconds=rng.randrange(30 * 86400)), "note": "called back"}
            for i, at in opened
            if rng.random() < 2 / 3
        ]
        if closes:
            session.execute(update(NpsFollowup), closes)


def email(app: Any, customers: int, rng: random.Random) -> None:
    """Untimed: every campaign to every customer (direct inserts), bounces, and unsubscribes in the consent log."""
    import hashlib

    from sqlalchemy import insert

    from patron.contracts import ConsentChange
    from patron.ingest import append_consents
    from patron.models import utcnow
    from patron_email.models import EmailBounce, EmailSend

    now = utcnow()
    skipped = (("no_consent", 0.06), ("suppressed", 0.03), ("invalid_address", 0.01), ("deferred", 0.01))
    outcomes = [("sent", None)] + [("skipped", r) for r, _ in skipped] + [("failed", None), ("unknown", None)]
    outcomes.append(("claimed", None))
    weights = [0.85] + [w for _, w in skipped] + [0.02, 0.01, 0.01]
    bounce_kinds, bounce_weights = ("hard", "soft", "complaint"), (0.5, 0.4, 0.1)
    for k, campaign in enumerate(CAMPAIGNS):
        launch = datetime(2024, k + 1, 20, 9, tzinfo=UTC)  # late in the month: some sends land in the next
        sends, bounces, unsubscribes = [], [], []
        for c in range(1, customers + 1):
            state, reason = rng.choices(outcomes, weights)[0]
            sent_at = launch + timedelta(seconds=rng.randrange(14 * 86400)) if state == "sent" else None
            sends.append(
                {
                    "campaign": campaign,
                    "customer_id": c,
                    "state": state,
                    "reason": reason,
                    "address": f"c{c}@example.com",
                    "template": "newsletter",
                    "purpose": "marketing",
                    "attempts": 1,
                    "created_at": now,
                    "updated_at": now,
                    "sent_at": sent_at,
                }
            )
            if sent_at is not None and rng.random() < 0.04:
                bounces.append(
                    {
                        "source_id": f"dsn-{campaign}-{c}",
                        "customer_id": c,
                        "address": f"c{c}@example.com",
                        "address_hash": hashlib.sha256(f"c{c}@example.com".encode()).hexdigest(),
                        "kind": rng.choices(bounce_kinds, bounce_weights)[0],
                        "campaign": campaign if rng.random() < 0.9 else None,
                        "occurred_at": sent_at + timedelta(hours=rng.randrange(1, 72)),
                        "recorded_at": now,
                    }
                )
            elif sent_at is not None and rng.random() < 0.01:
                at = sent_at + timedelta(hours=rng.randrange(1, 200))
                unsubscribes.append(ConsentChange(c, "email", "marketing", False, at, f"email:unsubscribe:{campaign}"))
        with app.transaction() as session:
            session.execute(insert(EmailSend), sends)
            if bounces:
                session.execute(insert(EmailBounce), bounces)
            append_consents(app, session, unsubscribes)


# ---------------------------------------------------------------------------
# email-campaign, email-deliverability
# ---------------------------------------------------------------------------


def campaign_numbers(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in result.tables[0].rows]


def sql_campaign(folder: Path) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows: dict[str, list[int]] = {}
        for campaign, *counts in conn.execute(
            text(
                "SELECT campaign, COUNT(*), SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN state = 'skipped' AND reason = 'no_consent' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN state = 'skipped' AND reason = 'suppressed' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN state = 'skipped' AND reason = 'invalid_address' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN state = 'skipped' AND (reason IS NULL OR reason NOT IN "
                "('no_consent', 'suppressed', 'invalid_address')) THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN state IN ('unknown', 'claimed') THEN 1 ELSE 0 END) "
                "FROM email_sends GROUP BY campaign"
            )
        ):
            rows[campaign] = [int(n) for n in counts] + [0, 0, 0, 0]
        for campaign, hard, soft, complaints in conn.execute(
            text(
                "SELECT campaign, SUM(CASE WHEN kind = 'hard' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'soft' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind NOT IN ('hard', 'soft') THEN 1 ELSE 0 END) "
                "FROM email_bounces WHERE campaign IS NOT NULL GROUP BY campaign"
            )
        ):
            row = rows.setdefault(campaign, [0] * 12)
            row[8:11] = [row[8] + int(hard), row[9] + int(soft), row[10] + int(complaints)]
        for campaign, n in conn.execute(
            text(
                "SELECT substr(source, 19), COUNT(DISTINCT customer_id) FROM consents "
                "WHERE NOT granted AND source LIKE 'email:unsubscribe:%' GROUP BY source"
            )
        ):
            rows.setdefault(campaign, [0] * 12)[11] += int(n)
        return [(c, *values) for c, values in sorted(rows.items())]

    return _sql(folder, job)  # type: ignore[no-any-return]


def deliverability_numbers(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in result.tables[0].rows]


def sql_deliverability(folder: Path) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> list[tuple[Any, ...]]:
        pg = conn.dialect.name == "postgresql"
        month = "to_char(timezone('UTC', {c}), 'YYYY-MM')" if pg else "substr({c}, 1, 7)"
        found: dict[str, list[int]] = {}

        def add(m: str | None, column: int, n: Any) -> None:
            if m:
                found.setdefault(m, [0] * 5)[column] += int(n)

        for m, n in conn.execute(
            text(f"SELECT {month.format(c='sent_at')}, COUNT(*) FROM email_sends WHERE state = 'sent' GROUP BY 1")
        ):
            add(m, 0, n)
        for m, hard, soft, complaints in conn.execute(
            text(
                f"SELECT {month.format(c='occurred_at')}, SUM(CASE WHEN kind = 'hard' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'soft' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'complaint' THEN 1 ELSE 0 END) "
                "FROM email_bounces GROUP BY 1"
            )
        ):
            add(m, 1, hard)
            add(m, 2, soft)
            add(m, 3, complaints)
        for m, n in conn.execute(
            text(
                f"SELECT {month.format(c='occurred_at')}, COUNT(*) FROM consents "
                "WHERE NOT granted AND source LIKE 'email:unsubscribe%' GROUP BY 1"
            )
        ):
            add(m, 4, n)

        def rate(n: int, sent: int) -> float | None:
            return round(n / sent, 4) if sent else None

        return [
            (m, sent, hard, soft, complaints, unsubscribed, rate(hard + soft, sent), rate(complaints, sent))
            for m, (sent, hard, soft, complaints, unsubscribed) in sorted(found.items())
        ]

    return _sql(folder, job)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# nps-summary, csat-summary, ces-summary, nps-trend, nps-followups
# ---------------------------------------------------------------------------

# Counted answers: the latest per customer and quarter (the default surveys' period), within [lo, end).
COUNTED = """
SELECT customer_id, score, occurred_at, {extra} AS grp FROM (
  SELECT customer_id, score, occurred_at,
         ROW_NUMBER() OVER (PARTITION BY customer_id, {quarter}
                            ORDER BY occurred_at DESC, interaction_id DESC) AS rn
  FROM nps_answers WHERE survey = :survey AND occurred_at >= :lo AND occurred_at < :end
) AS ranked WHERE rn = 1
"""
QUARTER = {
    "sqlite": "CAST(strftime('%Y', occurred_at) AS INTEGER) * 4 "
    "+ (CAST(strftime('%m', occurred_at) AS INTEGER) - 1) / 3",
    "postgresql": "CAST(EXTRACT(YEAR FROM occurred_at AT TIME ZONE 'UTC') AS INTEGER) * 4 "
    "+ (CAST(EXTRACT(MONTH FROM occurred_at AT TIME ZONE 'UTC') AS INTEGER) - 1) / 3",
}
MONTH_KEY = {
    "sqlite": "CAST(strftime('%Y', occurred_at) AS INTEGER) * 12 + CAST(strftime('%m', occurred_at) AS INTEGER) - 1",
    "postgresql": "CAST(EXTRACT(YEAR FROM occurred_at AT TIME ZONE 'UTC') AS INTEGER) * 12 "
    "+ CAST(EXTRACT(MONTH FROM occurred_at AT TIME ZONE 'UTC') AS INTEGER) - 1",
}


def _histograms(
    conn: Any, t: Any, survey: str, lo: datetime, end: datetime, group: str, **params: Any
) -> dict[Any, dict[int, int]]:
    """Answers per score per ``group`` (an SQL expression over the counted answers) in one statement."""
    from sqlalchemy import text

    dialect = conn.dialect.name
    counted = COUNTED.format(quarter=QUARTER[dialect], extra=group.format(**MONTH_KEY_ARGS[dialect]))
    found: dict[Any, dict[int, int]] = {}
    for grp, score, n in conn.execute(
        text(f"SELECT grp, score, COUNT(*) FROM ({counted}) AS counted GROUP BY grp, score"),
        {"survey": survey, "lo": t(lo), "end": t(end), **params},
    ):
        found.setdefault(grp, {})[int(score)] = int(n)
    return found


MONTH_KEY_ARGS = {d: {"month": m} for d, m in MONTH_KEY.items()}


def _estimate(e: Any, digits: int) -> tuple[Any, ...]:
    if not e.enough:
        return (e.n, None, None, None)
    return (e.n, round(e.value, digits), round(e.low, digits), round(e.high, digits))


def summary_numbers(result: Any) -> dict[str, Any]:
    """Answers, the score (and CES's share of 5–7) with intervals, the change and its p-value, answers per score."""
    score, distribution = result.tables
    return {
        "answers": result.summary["answers"],
        "scores": [tuple(r[1:5]) for r in score.rows],
        "change": result.summary["change"],
        "p_value": result.summary.get("p_value"),
        "distribution": [(r[0], r[2]) for r in distribution.rows],
    }


def _sql_summary(folder: Path, kind: str) -> dict[str, Any]:
    from patron_nps import stats
    from patron_nps.config import NpsConfig
    from patron_nps.metrics import METRICS, compare, headline

    config = NpsConfig()  # the benchmark's patron.toml sets no [plugins.nps]: the defaults
    survey = config.surveys[kind]
    previous, start = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> dict[int, dict[int, int]]:
        # Both 12-month windows (2024 and the year before) in one pass: grp 1 is the report's window.
        return _histograms(
            conn, t, kind, previous, AS_OF_MOMENT, "CASE WHEN occurred_at >= :mid THEN 1 ELSE 0 END", mid=t(start)
        )

    windows = _sql(folder, job)
    hist, before = windows.get(1, {}), windows.get(0, {})
    digits = METRICS[kind].digits
    estimate = headline(survey, hist, config)
    scores = [_estimate(estimate, digits)]
    if kind == "ces":
        scores.append(_estimate(stats.share(hist, 5, 7, "ces_easy", config.confidence, config.min_answers), 1))
    change = compare(survey, hist, before, config)
    low, high = survey.scale
    return {
        "answers": sum(hist.values()),
        "scores": scores,
        "change": change.text(METRICS[kind].unit),
        "p_value": None if change.p_value is None else float(f"{change.p_value:.3g}"),
        "distribution": [(s, hist.get(s, 0)) for s in range(low, high + 1)],
    }


def trend_numbers(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(r[:5]) for r in result.tables[0].rows]


def sql_trend(folder: Path) -> list[tuple[Any, ...]]:
    """nps-trend's defaults: the NPS survey, 24 months to AS_OF, one row per month."""
    from patron_nps.config import NpsConfig
    from patron_nps.metrics import headline

    config = NpsConfig()
    start = datetime(2023, 1, 1, tzinfo=UTC)

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> dict[int, dict[int, int]]:
        return _histograms(conn, t, "nps", start, AS_OF_MOMENT, "{month}")

    months = _sql(folder, job)
    first = start.year * 12 + start.month - 1
    nps = config.surveys["nps"]
    return [
        (f"{key // 12:04d}-{key % 12 + 1:02d}", *_estimate(headline(nps, months.get(key, {}), config), 1))
        for key in range(first, first + 24)
    ]


def followups_numbers(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in result.tables[0].rows]


def sql_followups(folder: Path) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> list[tuple[Any, ...]]:
        pg = conn.dialect.name == "postgresql"
        days = "julianday(closed_at) - julianday(opened_at)"
        if pg:
            days = "EXTRACT(epoch FROM closed_at - opened_at) / 86400.0"
        params = {"as_of": t(AS_OF_MOMENT), "due": t(AS_OF_MOMENT - timedelta(days=7))}  # followup_sla_days = 7
        counts = conn.execute(
            text(
                "SELECT survey, COUNT(*), "
                "SUM(CASE WHEN closed_at IS NULL OR closed_at >= :as_of THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN (closed_at IS NULL OR closed_at >= :as_of) AND opened_at < :due THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN closed_at < :as_of THEN 1 ELSE 0 END), "
                f"AVG(CASE WHEN closed_at < :as_of THEN {days} END) "
                "FROM nps_followups WHERE opened_at < :as_of GROUP BY survey ORDER BY survey"
            ),
            params,
        ).all()
        middles: dict[str, list[float]] = {}
        for survey, d in conn.execute(
            text(
                f"SELECT survey, d FROM (SELECT survey, {days} AS d, "
                f"ROW_NUMBER() OVER (PARTITION BY survey ORDER BY {days}) AS rn, "
                "COUNT(*) OVER (PARTITION BY survey) AS n "
                "FROM nps_followups WHERE opened_at < :as_of AND closed_at < :as_of) AS ranked "
                "WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2"
            ),
            params,
        ):
            middles.setdefault(survey, []).append(float(d))
        return [
            (
                survey,
                int(opened),
                int(still_open),
                int(overdue),
                int(closed),
                round(sum(middles[survey]) / len(middles[survey]), 2) if closed else None,
                None if mean is None else round(float(mean), 2),
            )
            for survey, opened, still_open, overdue, closed, mean in counts
        ]

    return _sql(folder, job)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# clv-distribution, clv-by-segment, clv-holdout (they read the stored fit)
# ---------------------------------------------------------------------------

FIT_SQL = "SELECT id, customers, currency FROM clv_fits ORDER BY calibration_end DESC LIMIT 1"


def _major(currency: str | None) -> Callable[[Any], Any]:
    """Minor units → what the clv reports show: a ``Money`` rounded half-even to the minor unit."""
    from patron.money import Money
    from patron_clv.contract import exponent

    if not currency:
        scale = 10 ** exponent(currency)
        return lambda minor: None if minor is None else round(float(minor) / scale, 2)
    return lambda minor: None if minor is None else Money.rounded(minor, currency)


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def distribution_numbers(result: Any) -> dict[str, Any]:
    deciles, alive = result.tables
    return {
        "deciles": [tuple(r) for r in deciles.rows],
        "p_alive": [tuple(r) for r in alive.rows],
        "total": _total(result.summary),
    }


def _total(summary: Any) -> Any:
    """The summary's total CLV (its key is a ``Column`` named ``total_clv``)."""
    return next(v for k, v in summary.items() if getattr(k, "name", k) == "total_clv")


def sql_distribution(folder: Path) -> dict[str, Any]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> dict[str, Any]:
        fit, customers, currency = conn.execute(text(FIT_SQL)).one()
        major = _major(currency)
        rows = conn.execute(
            text(
                "SELECT (clv_rank - 1) * 10 / :n + 1 AS decile, COUNT(*), MIN(clv_minor), MAX(clv_minor), "
                "AVG(clv_minor), SUM(clv_minor), AVG(p_alive), AVG(expected_purchases) FROM clv_scores "
                "WHERE fit_id = :fit GROUP BY 1 ORDER BY 1"
            ),
            {"fit": fit, "n": customers},
        ).all()
        # Tenths of P(alive), rounded down: PostgreSQL's CAST to an integer rounds to the nearest, SQLite's truncates.
        floor = "FLOOR(p_alive * 10)" if conn.dialect.name == "postgresql" else "p_alive * 10"
        spread = dict(
            conn.execute(
                text(
                    f"SELECT CASE WHEN p_alive >= 1 THEN 9 ELSE CAST({floor} AS INTEGER) END, COUNT(*) "
                    "FROM clv_scores WHERE fit_id = :fit GROUP BY 1"
                ),
                {"fit": fit},
            ).all()
        )
        total = sum(float(r[5]) for r in rows)
        return {
            "deciles": [
                (
                    int(d),
                    int(n),
                    major(lo),
                    major(hi),
                    major(mean),
                    round(100 * float(part) / total, 2) if total else 0.0,
                    _num(alive),
                    _num(purchases),
                )
                for d, n, lo, hi, mean, part, alive, purchases in rows
            ],
            "p_alive": [(f"{b / 10:.1f}–{(b + 1) / 10:.1f}", int(spread.get(b, 0))) for b in range(10)],
            "total": major(total),
        }

    return _sql(folder, job)  # type: ignore[no-any-return]


def by_segment_numbers(result: Any) -> dict[str, tuple[Any, ...]]:
    return {r[1]: tuple(r[2:]) for r in result.tables[0].rows if r[2]}


def sql_by_segment(folder: Path) -> dict[str, tuple[Any, ...]]:
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        fit, _, currency = conn.execute(text(FIT_SQL)).one()
        major = _major(currency)
        latest = snapshots[max(snapshots)]
        total = float(
            conn.execute(text("SELECT SUM(clv_minor) FROM clv_scores WHERE fit_id = :fit"), {"fit": fit}).scalar() or 0
        )
        rows = conn.execute(
            text(
                "SELECT r.segment, COUNT(*), SUM(c.clv_minor), AVG(c.clv_minor), AVG(c.p_alive) FROM clv_scores c "
                "JOIN rfm_scores r ON r.customer_id = c.customer_id AND r.snapshot_id = :snapshot "
                "WHERE c.fit_id = :fit GROUP BY r.segment"
            ),
            {"fit": fit, "snapshot": latest},
        ).all()
        return {
            f"rfm:segment:{segment}": (
                int(n),
                major(clv_sum or 0),
                major(mean),
                round(100 * float(clv_sum or 0) / total, 2) if total else 0.0,
                _num(alive),
            )
            for segment, n, clv_sum, mean, alive in rows
        }

    return _sql(folder, job)  # type: ignore[no-any-return]


def holdout_numbers(result: Any) -> dict[str, Any]:
    groups, steps = result.tables
    keys = ("predicted_total", "actual_total", "total_error_pct", "mae_per_customer", "rmse_per_customer")
    return {
        "groups": [tuple(r) for r in groups.rows],
        "steps": [tuple(r) for r in steps.rows],
        "totals": tuple(result.summary[k] for k in keys),
    }


def sql_holdout(folder: Path) -> dict[str, Any]:
    """The validation ``patron clv fit --holdout-end`` stored: one row read, its JSON unpacked."""
    from sqlalchemy import text

    def job(conn: Any, t: Any, snapshots: dict[str, Any]) -> dict[str, Any]:
        (validation,) = conn.execute(
            text("SELECT validation FROM clv_fits WHERE holdout_end IS NOT NULL ORDER BY calibration_end DESC LIMIT 1")
        ).one()
        found = json.loads(validation) if isinstance(validation, str) else validation
        conditional, track = found["conditional"], found["tracking"]
        keys = ("predicted_total", "actual_total", "total_error_pct", "mae_per_customer", "rmse_per_customer")
        return {
            "groups": [
                (g["frequency"], g["customers"], g["predicted_mean"], g["actual_mean"]) for g in conditional["groups"]
            ],
            "steps": [
                (end, "calibration" if i < track["calibration_steps"] else "holdout", a, p)
                for i, (end, a, p) in enumerate(
                    zip(track["step_end"], track["actual_cumulative"], track["predicted_cumulative"], strict=True)
                )
            ],
            "totals": tuple(conditional[k] for k in keys),
        }

    return _sql(folder, job)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# Registration: every report on both engines
# ---------------------------------------------------------------------------

REPORTS: dict[str, tuple[list[str], Callable[[Any], Any], Callable[[Path], Any]]] = {
    "email-campaign": ([], campaign_numbers, sql_campaign),
    "email-deliverability": ([], deliverability_numbers, sql_deliverability),
    "nps-summary": ([f"as_of={AS_OF}"], summary_numbers, lambda folder: _sql_summary(folder, "nps")),
    "csat-summary": ([f"as_of={AS_OF}"], summary_numbers, lambda folder: _sql_summary(folder, "csat")),
    "ces-summary": ([f"as_of={AS_OF}"], summary_numbers, lambda folder: _sql_summary(folder, "ces")),
    "nps-trend": ([f"as_of={AS_OF}"], trend_numbers, sql_trend),
    "nps-followups": ([f"as_of={AS_OF}"], followups_numbers, sql_followups),
    "clv-distribution": ([], distribution_numbers, sql_distribution),
    "clv-by-segment": (["family=rfm:segment"], by_segment_numbers, sql_by_segment),
    "clv-holdout": ([], holdout_numbers, sql_holdout),
}


register_report_benchmarks(REPORTS, shop, note)


if __name__ == "__main__":
    raise SystemExit(main())
