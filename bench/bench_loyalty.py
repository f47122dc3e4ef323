"""Benchmark: the loyalty plugin's cost on import, and ``tiers recompute``, on SQLite.

1. Import: the same seeded purchases (with ~2 % refunds referencing them) are
   recorded through ``patron.ingest.record_interactions`` in batches of 10,000,
   once with no plugins (baseline) and once with ``loyalty`` enabled (earning,
   lots, clawbacks inside each batch's transaction). Both arms go through the
   same core path, so the ratio is the plugin's overhead. Target ≤ 1.5.
   (The CSV importer ``patron import interactions`` calls the same function per
   batch; parsing would add the same time to both arms and flatter the ratio.)
2. ``tiers recompute`` for every customer (first review: everyone placed, then
   a second review), against the baseline of running the scheme's qualifying
   SELECT alone (what any tier computation must at least do). Printed for
   information; no target.

    python bench/bench_loyalty.py [--customers N] [--purchases N] [--full]

Defaults: 10,000 customers, 100,000 purchases; ``--full``: 100,000 and 1,000,000.
Exit code 1 when the import ratio misses its target or the ledger check fails.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BATCH = 10_000
START = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
TARGET = 1.5


def make_app(folder: Path, plugins: list[str]) -> Any:
    from patron.app import App
    from patron.config import load_settings
    from patron_sdk.pytest_plugin import render_config

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "patron.toml"
    path.write_text(render_config(f"sqlite:///{folder / 'patron.db'}", plugins, {}), encoding="utf-8")
    app = App(load_settings(path, env={}))
    app.upgrade_database()
    return app


def rows(customer_ids: list[int], purchases: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(purchases):
        c = customer_ids[rng.randrange(len(customer_ids))]
        when = START + timedelta(seconds=rng.randrange(365 * 86400))
        amount = rng.randrange(100, 50_000)
        out.append(
            {
                "external_id": f"p{i}",
                "customer_id": c,
                "kind": "purchase",
                "occurred_at": when,
                "amount_minor": amount,
                "currency": "EUR",
            }
        )
        if rng.random() < 0.02:
            out.append(
                {
                    "external_id": f"r{i}",
                    "customer_id": c,
                    "kind": "refund",
                    "occurred_at": when + timedelta(days=3),
                    "amount_minor": amount // 2,
                    "currency": "EUR",
                    "payload": {"refund_of": f"p{i}"},
                }
            )
    return out


def add_customers(app: Any, customers: int) -> list[int]:
    from patron.ingest import upsert_customers

    ids: list[int] = []
    with app.transaction() as session:
        for start in range(0, customers, BATCH):
            chunk = [{"external_id": f"c{i}"} for i in range(start, min(customers, start + BATCH))]
            ids += upsert_customers(app, session, chunk).inserted_ids
    return ids


def import_interleaved(apps: list[Any], data: list[dict[str, Any]]) -> list[float]:
    """Record ``data`` in each app, batch by batch, alternating apps so load drift hits both arms alike."""
    from patron.ingest import record_interactions

    spent = [0.0] * len(apps)
    for start in range(0, len(data), BATCH):
        for k, app in enumerate(apps):
            began = time.perf_counter()
            with app.transaction() as session:
                record_interactions(app, session, data[start : start + BATCH])
            spent[k] += time.perf_counter() - began
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="100,000 customers and 1,000,000 purchases")
    args = parser.parse_args()
    if args.full:
        args.customers, args.purchases = 100_000, 1_000_000

    from sqlalchemy import func, select

    from patron_loyalty.ledger import check
    from patron_loyalty.models import LedgerEntry
    from patron_loyalty.tiers import active_scheme, recompute

    with tempfile.TemporaryDirectory(prefix="bench-loyalty-") as tmp:
        base_app = make_app(Path(tmp) / "baseline", [])
        app = make_app(Path(tmp) / "loyalty", ["loyalty"])
        ids = add_customers(base_app, args.customers)
        assert add_customers(app, args.customers) == ids, "both databases must number customers alike"
        data = rows(ids, args.purchases)
        n = len(data)
        base_time, loyalty_time = import_interleaved([base_app, app], data)
        base_app.dispose()
        ratio = loyalty_time / base_time
        print(
            f"import {n:,} interactions ({args.purchases:,} purchases, {args.customers:,} customers), "
            f"batches of {BATCH:,}, SQLite, arms interleaved batch by batch"
        )
        print(f"  baseline (no plugins): {base_time:8.2f} s   {n / base_time:10,.0f} rows/s")
        print(f"  loyalty enabled:       {loyalty_time:8.2f} s   {n / loyalty_time:10,.0f} rows/s")
        print(f"  ratio loyalty/baseline: {ratio:.2f} (target <= {TARGET})")

        scheme = active_scheme(app)
        began = time.perf_counter()
        with app.transaction() as session:
            placed = session.scalar(select(func.count()).select_from(scheme.qualify(session, as_of=AS_OF).subquery()))
        qualify_time = time.perf_counter() - began
        timings = []
        for label in ("first review", "second review"):
            began = time.perf_counter()
            with app.transaction(immediate=True) as session:
                result = recompute(app, session, AS_OF)
            timings.append((label, time.perf_counter() - began, result.changed))
        print(f"tiers recompute, {placed:,} customers, scheme {scheme.name}")
        print(f"  qualifying SELECT alone (baseline): {qualify_time:8.2f} s")
        for label, seconds, changed in timings:
            print(f"  {label:<14} {seconds:8.2f} s   ratio {seconds / qualify_time:5.2f}   {changed:,} changed")
        with app.transaction() as session:
            problems = check(session)
            entries = session.scalar(select(func.count()).select_from(LedgerEntry))
        print(f"ledger: {entries:,} entries, check {'ok' if not problems else f'FAILED ({len(problems)} problems)'}")
        app.dispose()
    return 0 if ratio <= TARGET and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
