"""Shared helpers for the CLV tests: the CDNOW sample through the core importer, and small shops.

The CDNOW sample (``shared/data/CDNOW_sample.txt`` beside the checkout, found
from this file's folder upwards, or next to ``$PATRON_CDNOW``) has five
columns: master id, sample id, date, CDs, dollars. The SDK's CDNOW loader
(``patron_sdk.data.load_cdnow``, which writes through the core's ingest API)
reads the master's four, so the loader drops the sample id first.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from patron_sdk.data import find_cdnow

SAMPLE = find_cdnow(Path(__file__).parent).parent / "CDNOW_sample.txt"
PAPER_SUMMARY = SAMPLE.parent / "cdnow_customers_summary.csv"
_ids = itertools.count()


def load_sample(app: Any, tmp_path: Path) -> dict[str, int]:
    """Import the sample; return sample id → customer external id (``cdnow-<master id>``)."""
    from patron_sdk.data import load_cdnow

    master_format = tmp_path / "cdnow_sample_master_format.txt"
    sample_ids = {}
    with SAMPLE.open(encoding="ascii") as src, master_format.open("w", encoding="ascii") as dst:
        for line in src:
            master, sample, day, cds, dollars = line.split()
            sample_ids[str(int(sample))] = f"cdnow-{int(master)}"
            dst.write(f"{master} {day} {cds} {dollars}\n")
    rows, customers = load_cdnow(app, master_format)
    assert (len(rows), len(customers)) == (6_919, 2_357)
    return sample_ids


def utc(y: int, m: int, d: int, hh: int = 12) -> datetime:
    return datetime(y, m, d, hh, tzinfo=UTC)


def shop(
    app: Any,
    purchases: Sequence[tuple[str, datetime, int]],
    refunds: Sequence[tuple[str, datetime, int, str]] = (),
    currency: str = "USD",
) -> dict[str, int]:
    """Record purchases ``(customer, when, cents)`` and refunds ``(customer, when, cents, purchase_external_id)``.

    Purchase external ids are ``<customer>-p<n>`` numbered per customer from 1 in the given order.
    Returns customer external id → internal id.
    """
    from sqlalchemy import select

    from patron.ingest import record_interactions, upsert_customers
    from patron.models import Customer

    names = sorted({p[0] for p in purchases} | {r[0] for r in refunds})
    with app.transaction() as session:
        upsert_customers(app, session, [{"external_id": n} for n in names])
        ids = dict(session.execute(select(Customer.external_id, Customer.id)).all())
        counters: dict[str, int] = {}
        rows: list[dict[str, Any]] = []
        for customer, when, cents in purchases:
            counters[customer] = counters.get(customer, 0) + 1
            rows.append(
                {
                    "external_id": f"{customer}-p{counters[customer]}",
                    "customer_id": ids[customer],
                    "kind": "purchase",
                    "occurred_at": when,
                    "amount_minor": cents,
                    "currency": currency,
                }
            )
        for customer, when, cents, of in refunds:
            rows.append(
                {
                    "external_id": f"refund-{next(_ids)}",
                    "customer_id": ids[customer],
                    "kind": "refund",
                    "occurred_at": when,
                    "amount_minor": cents,
                    "currency": currency,
                    "payload": {"refund_of": of},
                }
            )
        record_interactions(app, session, rows)
    return ids


def simulated_shop(app: Any, customers: int = 200, seed: int = 7) -> dict[str, int]:
    """A shop whose customers buy as BG/NBD says: first purchase in Q1 2024, repeats through 2024.

    Per customer: a weekly purchase rate from a gamma distribution and a dropout
    probability after each repeat from a beta distribution (standard library
    random, seeded, so the data are the same on every run and engine).
    """
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 10, tzinfo=UTC)
    purchases: list[tuple[str, datetime, int]] = []
    for i in range(customers):
        name = f"s{i:03d}"
        rate = rng.gammavariate(0.8, 1 / 3.0) / 7  # purchases per day
        dropout = rng.betavariate(1.0, 3.0)
        day = rng.uniform(0, 90)
        spend = rng.lognormvariate(8.0, 0.5)  # this customer's typical basket, in cents
        purchases.append((name, start + timedelta(days=day), int(rng.lognormvariate(0, 0.3) * spend)))
        while rate > 0:
            day += rng.expovariate(rate)
            if day >= 366:
                break
            purchases.append((name, start + timedelta(days=day), int(rng.lognormvariate(0, 0.3) * spend)))
            if rng.random() < dropout:
                break
    return shop(app, purchases)


def fit(app: Any, calibration_end: date | None = None, holdout_end: date | None = None) -> Any:
    """Run the plugin's fit in one transaction; return its FitRun."""
    from patron_clv.snapshots import fit as run

    with app.transaction() as session:
        return run(app, session, calibration_end, holdout_end)


HELPERS = SimpleNamespace(
    SAMPLE=SAMPLE,
    PAPER_SUMMARY=PAPER_SUMMARY,
    load_sample=load_sample,
    shop=shop,
    simulated_shop=simulated_shop,
    fit=fit,
    utc=utc,
)


@pytest.fixture
def clv() -> SimpleNamespace:
    """The helpers above, for tests (conftest modules are not importable under importlib mode)."""
    return HELPERS


@pytest.fixture(scope="module")
def clv_helpers() -> SimpleNamespace:
    """The same helpers, for module-scoped fixtures."""
    return HELPERS
