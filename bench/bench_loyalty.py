"""Benchmark ``loyalty-import``: recording interactions with the loyalty plugin on, against off.

The same seeded purchases (~2 % refunds referencing them) are recorded through
``patron.ingest.record_interactions`` in batches of 10,000, into a database
with no plugins (baseline) and one with ``loyalty`` enabled (earning, lots and
clawbacks inside each batch's transaction). Both arms go through the same core
path, each a function in a forked child, so the ratio is the plugin's overhead
(the CSV importer calls the same function per batch; its parsing would add the
same time to both arms and flatter the ratio). Target 1.3 (CPU). The loyalty
arm's ledger check runs after each run, untimed, and fails the benchmark when it finds a problem.

Sizes (customers/purchases): smoke 200/2,000; quick 5,000/50,000; full 100,000/1,000,000.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import Arm, Options, Pair, Pairs, benchmark, main, pick

BATCH = 10_000
START = datetime(2024, 1, 1, tzinfo=UTC)


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


def record_all(folder: Path, data: list[dict[str, Any]]) -> None:
    """Record ``data`` batch by batch (the timed work)."""
    from patron.app import App
    from patron.config import load_settings
    from patron.ingest import record_interactions

    app = App(load_settings(folder / "patron.toml", env={}))
    for start in range(0, len(data), BATCH):
        with app.transaction() as session:
            record_interactions(app, session, data[start : start + BATCH])
    app.dispose()


def stored(folder: Path, with_loyalty: bool) -> int:
    """Untimed, after a run: how many interactions are stored; with loyalty, the ledger check must pass."""
    from sqlalchemy import func, select

    from patron.app import App
    from patron.config import load_settings
    from patron.models import Interaction

    app = App(load_settings(folder / "patron.toml", env={}))
    try:
        with app.transaction() as session:
            if with_loyalty:
                from patron_loyalty.ledger import check

                problems = check(session)
                if problems:
                    raise RuntimeError(f"ledger check failed: {problems[:5]}")
            return int(session.scalar(select(func.count()).select_from(Interaction)) or 0)
    finally:
        app.dispose()


@benchmark("loyalty-import", target=1.3, doc="record interactions with loyalty / without (CPU)")
def loyalty_import(options: Options) -> Pairs:
    customers = pick(options, 200, 5_000, 100_000)
    purchases = pick(options, 2000, 50_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-loyalty-") as tmp:
        folders = {}
        for name, plugins in (("baseline", []), ("loyalty", ["loyalty"])):
            template = Path(tmp) / f"{name}-template"
            app = make_app(template, plugins)
            ids = add_customers(app, customers)
            app.dispose()
            folders[name] = (template, Path(tmp) / name)
        data = rows(ids, purchases)

        def fresh(name: str) -> Any:
            def copy() -> None:
                template, work = folders[name]
                shutil.rmtree(work, ignore_errors=True)
                shutil.copytree(template, work)
                text = (template / "patron.toml").read_text().replace(str(template), str(work))
                (work / "patron.toml").write_text(text)

            return copy

        yield Pair(
            # The ledger check runs after each run, untimed (``result``): verifying is not the plugin's cost.
            Arm.forked(
                "record, loyalty enabled",
                lambda: record_all(folders["loyalty"][1], data),
                setup=fresh("loyalty"),
                result=lambda _: stored(folders["loyalty"][1], True),
            ),
            Arm.forked(
                "record, no plugins",
                lambda: record_all(folders["baseline"][1], data),
                setup=fresh("baseline"),
                result=lambda _: stored(folders["baseline"][1], False),
            ),
            note=f"{len(data):,} interactions ({purchases:,} purchases, {customers:,} customers), "
            f"batches of {BATCH:,}, SQLite",
        )


if __name__ == "__main__":
    raise SystemExit(main())
