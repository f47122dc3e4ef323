"""Benchmark: the CLV plugin's SQL summary + BG/NBD + Gamma-Gamma fits against ``lifetimes`` on the same data.

Generates a seeded shop whose customers buy as BG/NBD says (default 100,000
customers and about 1,000,000 purchases over two years, first purchases spread
over the first year, spend varying around each customer's mean), stores it in
a fresh SQLite database, then times in the same run:

- patron: ``patron_clv.summary.summarise`` (one SELECT on the database) +
  ``fit_bgnbd`` + ``fit_gamma_gamma`` (with standard errors), unit = day;
- lifetimes: ``summary_data_from_transaction_data`` (freq ``D``) on a
  DataFrame of the same purchases already in memory, then
  ``BetaGeoFitter().fit`` and ``GammaGammaFitter().fit``;
- (for information) lifetimes including ``pandas.read_sql`` of the purchases
  from the same database, and the plugin's whole ``patron clv fit`` (predictions
  and the stored snapshot included).

The estimates of both are compared to 3 significant digits before the ratio
is printed. Target: patron / lifetimes ≤ 0.5. ``lifetimes`` is not a test
dependency: install it in the venv to run this (``pip install lifetimes``);
without it only the plugin's arm runs. ``--postgres URL`` also times the
plugin's arm on a fresh PostgreSQL database.

    python bench/bench_clv.py [--customers N] [--repeat N] [--postgres URL]

Exit code 1 when the target is missed or the estimates differ.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

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


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall-clock and CPU seconds of ``repeat`` runs, and the last result.

    CPU time is this process's: the whole work of both arms on SQLite (in-process),
    and a fairer figure than wall-clock on a busy machine; on PostgreSQL the
    server's work is not in it.
    """
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


PARTS: dict[str, float] = {}


def run_patron(app: Any) -> dict[str, float]:
    import numpy as np

    from patron_clv.estimation import fit_bgnbd, fit_gamma_gamma
    from patron_clv.summary import summarise

    start = time.perf_counter()
    with app.transaction() as session:
        s = summarise(session, END, 1, "USD")
    PARTS["summary"] = time.perf_counter() - start
    bg = fit_bgnbd(s.frequency, s.recency, s.T)
    gg = fit_gamma_gamma(s.frequency, np.nan_to_num(s.mean_value, nan=0.0) / 100)
    return {**bg.params, **gg.params}


def run_patron_fit(app: Any) -> int:
    from patron_clv.snapshots import fit

    with app.transaction() as session:
        return fit(app, session, END).customers


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


def same(a: dict[str, float], b: dict[str, float]) -> list[str]:
    """Parameters whose values differ in the first 3 significant digits."""
    return [k for k in a if f"{a[k]:.3g}" != f"{b[k]:.3g}"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--postgres", metavar="URL", help="also time the plugin on this PostgreSQL server")
    args = parser.parse_args(argv)
    purchases = simulate(args.customers, args.seed)
    print(f"data: {args.customers:,} customers, {len(purchases):,} purchases (seed {args.seed})", flush=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-clv-") as folder:
        app = make_app(f"sqlite:///{Path(folder) / 'patron.db'}", Path(folder))
        start = time.perf_counter()
        store(app, args.customers, purchases)
        print(f"stored in SQLite in {time.perf_counter() - start:.1f} s", flush=True)
        run_patron(app)  # warm-up: imports scipy, fills the page cache
        patron_time, patron_cpu, patron_params = timed(lambda: run_patron(app), args.repeat)
        print(
            f"patron   summary (SQLite) + BG/NBD + Gamma-Gamma: {patron_time:7.2f} s (CPU {patron_cpu:.2f} s; "
            f"summary {PARTS['summary']:.2f} s)  {fmt(patron_params)}",
            flush=True,
        )
        whole, whole_cpu, _ = timed(lambda: run_patron_fit(app), 1)
        print(f"(info)   patron clv fit, predictions and snapshot included: {whole:7.2f} s (CPU {whole_cpu:.2f} s)")
        try:
            import lifetimes  # noqa: F401
        except ImportError as exc:
            print(f"lifetimes is not installed ({exc}); run 'pip install lifetimes' for the comparison")
            return 0
        frame = purchases_frame(purchases)
        run_lifetimes(frame[frame["customer_id"] <= 5_000])  # warm-up: imports autograd and the pandas paths
        life_time, life_cpu, life_params = timed(lambda: run_lifetimes(frame), args.repeat)
        print(
            f"lifetimes summary (in memory) + fits:             {life_time:7.2f} s (CPU {life_cpu:.2f} s)  "
            f"{fmt(life_params)}",
            flush=True,
        )
        read_time, read_cpu, _ = timed(lambda: read_and_run_lifetimes(app), 1)
        print(f"(info)   lifetimes with read_sql from the same database: {read_time:7.2f} s (CPU {read_cpu:.2f} s)")
        differ = same(patron_params, life_params)
        if differ:
            print(f"ESTIMATES DIFFER in the first 3 significant digits: {', '.join(differ)}")
            ok = False
        ratio = patron_time / life_time
        print(
            f"ratio patron / lifetimes = {ratio:.3f} wall, {patron_cpu / life_cpu:.3f} CPU (target ≤ 0.5); "
            f"vs lifetimes with read_sql {patron_time / read_time:.3f} wall, {patron_cpu / read_cpu:.3f} CPU"
        )
        ok = ok and ratio <= 0.5
        if args.postgres:
            pg_time = bench_postgres(args.postgres, args.customers, purchases, args.repeat, Path(folder))
            print(
                f"patron   summary (PostgreSQL) + fits: {pg_time:7.2f} s; ratio to lifetimes {pg_time / life_time:.3f}"
            )
    return 0 if ok else 1


def bench_postgres(
    url: str, customers: int, purchases: list[tuple[int, float, int]], repeat: int, folder: Path
) -> float:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_clv_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        sub = folder / "pg"
        sub.mkdir()
        app = make_app(make_url(url).set(database=name).render_as_string(hide_password=False), sub)
        store(app, customers, purchases)
        run_patron(app)
        elapsed, _, _ = timed(lambda: run_patron(app), repeat)
        app.dispose()
        return elapsed
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def fmt(params: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in params.items())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
