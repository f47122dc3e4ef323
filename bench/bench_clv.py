"""Benchmarks: the CLV plugin's SQL summary + BG/NBD + Gamma-Gamma fits against ``lifetimes`` on the same data.

Generates a seeded shop whose customers buy as BG/NBD says (first purchases
spread over the first year, spend varying around each customer's mean) and
stores it in a fresh database, untimed. Then, each arm a function run in a
forked child of this process (imports paid and both arms run once beforehand,
untimed):

- patron: ``patron_clv.summary.summarise`` (one SELECT on the database) +
  ``fit_bgnbd`` + ``fit_gamma_gamma`` (with standard errors), unit = day; each
  run opens its own connection;
- lifetimes: ``summary_data_from_transaction_data`` (freq ``D``) on a
  DataFrame of the same purchases already in memory (built untimed), then
  ``BetaGeoFitter().fit`` and ``GammaGammaFitter().fit``.

The estimates of both (r, alpha, a, b, p, q, gamma) are compared to 3
significant digits, untimed, in every run before a ratio is printed.

- ``clv-sqlite``: patron (SQLite) / lifetimes, target 0.5 (CPU);
- ``clv-read-sql``: patron (SQLite) / lifetimes including ``pandas.read_sql`` of
  the purchases from the same database (what a program starting from the
  database pays), target 0.5 (CPU);
- ``clv-postgres``: patron with the summary on a fresh PostgreSQL database /
  lifetimes, target 0.5 (CPU of the client and the server together).

``lifetimes`` is not a test dependency: install it in the venv to run these
(``pip install lifetimes``); without it they report that and give no ratio.

Sizes (customers; about ten purchases each): smoke 2,000; quick 10,000; full 100,000.

    python bench/bench_clv.py [clv-sqlite|clv-postgres] [--smoke|--full] [--rounds N] [--postgres URL]
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import Arm, Options, Pair, Pairs, benchmark, fresh_database, main, pick, postmaster_pid

SEED = 15
#: What both arms estimate, compared to 3 significant digits.
PARAMS = ("r", "alpha", "a", "b", "p", "q", "gamma")

START = datetime(2023, 1, 1, tzinfo=UTC)
END = date(2025, 1, 1)  # calibration end: purchases strictly before it
SPAN_DAYS = (END - START.date()).days
TRUE = {"r": 1.5, "alpha": 42.0, "a": 2.0, "b": 20.0}  # alpha in days: 0.25 purchases a week while active


def make_app(url: str, folder: Path) -> Any:
    from patron.app import App
    from patron.config import load_settings

    path = folder / "patron.toml"
    path.write_text(
        f'[patron]\ndatabase_url = "{url}"\nplugins = ["clv"]\n\n[plugins.clv]\nunit = "day"\n', encoding="utf-8"
    )
    app = App(load_settings(path, env={}))
    app.upgrade_database()
    return app


def simulate(customers: int, seed: int) -> list[tuple[int, float, int]]:
    """(customer, day offset from START, cents) per purchase: a BG/NBD buying process, gamma-gamma spend."""
    import numpy as np

    rng = np.random.default_rng(seed)
    first = rng.uniform(0, 365, customers)
    rate = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], customers)
    dropout = rng.beta(TRUE["a"], TRUE["b"], customers)
    lifetime = rng.geometric(dropout)
    mean_spend = rng.gamma(4.0, 1 / rng.gamma(3.0, 1 / 3000.0, customers))  # cents, per customer
    ids = np.arange(1, customers + 1)
    rows = [(ids, first)]
    t = first.copy()
    alive = np.ones(customers, dtype=bool)
    k = 0
    while alive.any():
        k += 1
        t = t + rng.exponential(1 / np.maximum(rate, 1e-12))
        alive &= (t < SPAN_DAYS) & (k <= lifetime)
        rows.append((ids[alive], t[alive]))
    customer = np.concatenate([r[0] for r in rows])
    day = np.concatenate([r[1] for r in rows])
    cents = np.maximum(1, rng.gamma(4.0, mean_spend[customer - 1] / 4.0)).astype(np.int64)
    return list(zip(customer.tolist(), day.tolist(), cents.tolist(), strict=True))


def store(app: Any, customers: int, purchases: list[tuple[int, float, int]]) -> None:
    """Write customers and purchases with the driver's executemany (ORM-free: this is set-up, not measured)."""
    from patron.models import utcnow

    now = utcnow()
    sqlite = app.engine.dialect.name == "sqlite"

    def stamp(moment: datetime) -> Any:
        # SQLite keeps naive UTC text (as patron.models.UTCDateTime does); PostgreSQL takes the aware value.
        return moment.replace(tzinfo=None).isoformat(sep=" ") if sqlite else moment

    mark = "?" if sqlite else "%s"
    with app.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO customers (id, external_id, attributes, created_at, updated_at) "
            f"VALUES ({mark}, {mark}, '{{}}', {mark}, {mark})",
            [(i, f"c{i}", stamp(now), stamp(now)) for i in range(1, customers + 1)],
        )
        if not sqlite:
            conn.exec_driver_sql("SELECT setval('customers_id_seq', %s)", (customers,))
    chunk = 100_000
    for n in range(0, len(purchases), chunk):
        rows = [
            (f"p{n + k}", c, stamp(START + timedelta(days=d)), cents, stamp(now))
            for k, (c, d, cents) in enumerate(purchases[n : n + chunk])
        ]
        with app.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO interactions (external_id, customer_id, kind, occurred_at, amount_minor, currency, "
                f"payload, recorded_at) VALUES ({mark}, {mark}, 'purchase', {mark}, {mark}, 'USD', '{{}}', {mark})",
                rows,
            )


def run_patron(app: Any) -> dict[str, float]:
    import numpy as np

    from patron_clv.estimation import fit_bgnbd, fit_gamma_gamma
    from patron_clv.summary import summarise

    with app.transaction() as session:
        s = summarise(session, END, 1, "USD")
    bg = fit_bgnbd(s.frequency, s.recency, s.T)
    gg = fit_gamma_gamma(s.frequency, np.nan_to_num(s.mean_value, nan=0.0) / 100)
    return {**bg.params, **gg.params}


def purchases_frame(purchases: list[tuple[int, float, int]]) -> Any:
    import pandas as pd

    frame = pd.DataFrame(purchases, columns=["customer_id", "day", "cents"])
    frame["date"] = pd.Timestamp(START.replace(tzinfo=None)) + pd.to_timedelta(frame["day"], unit="D")
    frame["amount"] = frame["cents"] / 100
    return frame[["customer_id", "date", "amount"]]


def run_lifetimes(frame: Any) -> dict[str, float]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    last_day = (END - timedelta(days=1)).isoformat()
    s = summary_data_from_transaction_data(
        frame, "customer_id", "date", monetary_value_col="amount", observation_period_end=last_day, freq="D"
    )
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return {**dict(bg.params_), **{"p": gg.params_["p"], "q": gg.params_["q"], "gamma": gg.params_["v"]}}


def read_and_run_lifetimes(app: Any) -> dict[str, float]:
    import pandas as pd

    with app.engine.connect() as conn:
        frame = pd.read_sql(
            "SELECT customer_id, occurred_at AS date, amount_minor / 100.0 AS amount FROM interactions "
            "WHERE kind = 'purchase'",
            conn,
            parse_dates=["date"],
        )
    return run_lifetimes(frame)


def estimates(params: dict[str, float]) -> dict[str, str]:
    """Untimed, after each run: the estimates to 3 significant digits (what both arms must agree on)."""
    return {k: f"{params[k]:.3g}" for k in PARAMS}


def customers_of(options: Options) -> int:
    return pick(options, 2_000, 10_000, 100_000)


@contextmanager
def shop(url: str, folder: Path, options: Options) -> Iterator[tuple[Any, Any, str]]:
    """Untimed: the stored shop, a warm app with no open connection, the purchases as a DataFrame, a note."""
    try:
        import lifetimes  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(f"lifetimes is not installed ({exc}); 'pip install lifetimes' to compare") from None
    customers = customers_of(options)
    purchases = simulate(customers, SEED)
    app = make_app(url, folder)
    try:
        store(app, customers, purchases)
        if app.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with app.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        frame = purchases_frame(purchases)
        # Warm-up, untimed, in this process (the forks inherit it): imports scipy, autograd and the pandas paths.
        run_patron(app)
        run_lifetimes(frame[frame["customer_id"] <= max(500, customers // 20)])
        app.dispose()
        engine = "SQLite" if app.engine.dialect.name == "sqlite" else "PostgreSQL"
        yield app, frame, f"{customers:,} customers, {len(purchases):,} purchases (seed {SEED}), summary on {engine}"
    finally:
        app.dispose()


def pair(app: Any, frame: Any, label: str, note: str, server: int | None = None) -> Pair:
    return Pair(
        Arm.forked(f"patron summary + fits ({label})", lambda: run_patron(app), setup=app.dispose, result=estimates),
        Arm.forked("lifetimes (in memory)", lambda: run_lifetimes(frame), result=estimates),
        server=server,
        note=note,
    )


@benchmark("clv-sqlite", target=0.5, doc="patron summary (SQLite) + BG/NBD + Gamma-Gamma / lifetimes (CPU)")
def clv_sqlite(options: Options) -> Pairs:
    with (
        tempfile.TemporaryDirectory(prefix="bench-clv-") as tmp,
        shop(f"sqlite:///{Path(tmp) / 'patron.db'}", Path(tmp), options) as (app, frame, note),
    ):
        yield pair(app, frame, "SQLite", note)


@benchmark(
    "clv-read-sql",
    target=0.5,
    doc="patron summary (SQLite) + fits / lifetimes with pandas.read_sql from the same database (CPU)",
)
def clv_read_sql(options: Options) -> Pairs:
    with (
        tempfile.TemporaryDirectory(prefix="bench-clv-") as tmp,
        shop(f"sqlite:///{Path(tmp) / 'patron.db'}", Path(tmp), options) as (app, frame, note),
    ):
        import pandas.io.sql  # noqa: F401  (read_sql's module imported once, before the forks)

        base = pair(app, frame, "SQLite", note)
        base.baseline = Arm.forked(
            "lifetimes + read_sql",
            lambda: read_and_run_lifetimes(app),
            setup=app.dispose,
            result=estimates,
        )
        yield base


@benchmark(
    "clv-postgres",
    target=0.5,
    needs_postgres=True,
    doc="patron summary (PostgreSQL) + fits / lifetimes (client + server CPU)",
)
def clv_postgres(options: Options) -> Pairs:
    assert options.postgres is not None
    with (
        fresh_database(options.postgres, "bench_clv") as url,
        tempfile.TemporaryDirectory(prefix="bench-clv-") as tmp,
        shop(url, Path(tmp), options) as (app, frame, note),
    ):
        yield pair(app, frame, "PostgreSQL", note, server=postmaster_pid(url))


if __name__ == "__main__":
    raise SystemExit(main())
