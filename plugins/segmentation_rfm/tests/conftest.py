"""Shared helpers for the RFM tests: the SDK's loader (``patron_sdk.data``) and an independent plain-Python oracle.

The oracle re-implements the rules from the issue text directly (sorting and
counting in Python, no SQL, no code from ``patron_rfm``), so agreement with
it is evidence the SQL is right on both engines.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from patron_sdk.data import Row, load

# ---------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------

DEFAULT_GRID = [  # (segment slug, R range, F range): the eleven segments on the R×F grid
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalist", (4, 5), (2, 3)),
    ("new_customers", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need_attention", (3, 3), (3, 3)),
    ("about_to_sleep", (3, 3), (1, 2)),
    ("at_risk", (1, 2), (3, 4)),
    ("cant_lose_them", (1, 2), (5, 5)),
    ("hibernating", (2, 2), (1, 2)),
    ("lost", (1, 1), (1, 2)),
]


def oracle_metrics(
    rows: Iterable[Row],
    as_of: date,
    window_days: int | None = None,
    purchase: Sequence[str] = ("purchase",),
) -> dict[str, tuple[int, int, int]]:
    """customer → (recency_days, frequency, monetary_minor) for customers with a purchase in the window."""
    end = datetime.combine(as_of, time(), tzinfo=UTC)
    start = None if window_days is None else end - timedelta(days=window_days)
    last: dict[str, datetime] = {}
    freq: dict[str, int] = {}
    money: dict[str, int] = {}
    for r in rows:
        if r.occurred_at >= end or (start is not None and r.occurred_at < start):
            continue
        amount = r.amount_minor or 0
        if r.kind in purchase:
            freq[r.customer] = freq.get(r.customer, 0) + 1
            money[r.customer] = money.get(r.customer, 0) + amount
            if r.customer not in last or r.occurred_at > last[r.customer]:
                last[r.customer] = r.occurred_at
        elif r.kind == "refund":  # the core convention: a positive amount given back
            money[r.customer] = money.get(r.customer, 0) - amount
    result = {}
    for c, n in freq.items():
        seconds = int((end - last[c].replace(microsecond=0)).total_seconds())
        result[c] = (seconds // 86_400, n, money[c])
    return result


def oracle_quantile(values: Sequence[int], higher_is_better: bool) -> list[int]:
    """1 + floor(5 (rank − 1) / n), rank = 1 + the number of strictly worse values."""
    ordered = sorted(values)
    n = len(values)
    scores = []
    for v in values:
        worse = bisect_left(ordered, v) if higher_is_better else n - bisect_right(ordered, v)
        scores.append(1 + (5 * worse) // n)
    return scores


def oracle_threshold(value: int, cuts: Sequence[int], higher_is_better: bool) -> int:
    passed = sum(1 for c in cuts if value >= c)
    return 1 + passed if higher_is_better else 5 - passed


def oracle_segment(r: int, f: int) -> str:
    hits = [name for name, (r0, r1), (f0, f1) in DEFAULT_GRID if r0 <= r <= r1 and f0 <= f <= f1]
    assert len(hits) == 1, (r, f, hits)
    return hits[0]


def oracle_tiers(monetary: dict[str, int], ids: dict[str, int], a: float = 80, b: float = 95) -> dict[str, str]:
    """ABC tiers by cumulative revenue share (exact fractions via integers)."""
    positive = sorted((c for c in monetary if monetary[c] > 0), key=lambda c: (-monetary[c], ids[c]))
    total = sum(monetary[c] for c in positive)
    tiers = {c: "D" for c in monetary if monetary[c] <= 0}
    before = 0
    for c in positive:
        # The share before this customer is below the threshold ⇔ this one is within it or crosses it.
        if before * 100 < a * total:
            tiers[c] = "A"
        elif before * 100 < b * total:
            tiers[c] = "B"
        else:
            tiers[c] = "C"
        before += monetary[c]
    return tiers


def oracle(
    rows: Sequence[Row],
    ids: dict[str, int],
    as_of: date,
    *,
    window_days: int | None = None,
    thresholds: dict[str, Sequence[int]] | None = None,
) -> dict[str, tuple[Any, ...]]:
    """customer → (recency, frequency, monetary, r, f, m, segment, tier)."""
    metrics = oracle_metrics(rows, as_of, window_days)
    names = list(metrics)
    rec = [metrics[c][0] for c in names]
    fre = [metrics[c][1] for c in names]
    mon = [metrics[c][2] for c in names]
    if thresholds is None:
        r_s, f_s, m_s = oracle_quantile(rec, False), oracle_quantile(fre, True), oracle_quantile(mon, True)
    else:
        r_s = [oracle_threshold(v, thresholds["recency_days"], False) for v in rec]
        f_s = [oracle_threshold(v, thresholds["frequency"], True) for v in fre]
        m_s = [oracle_threshold(v, thresholds["monetary_minor"], True) for v in mon]
    tiers = oracle_tiers(dict(zip(names, mon, strict=True)), ids)
    return {
        c: (*metrics[c], r_s[i], f_s[i], m_s[i], oracle_segment(r_s[i], f_s[i]), tiers[c]) for i, c in enumerate(names)
    }


def stored(app: Any, as_of: date) -> dict[str, tuple[Any, ...]]:
    """The stored snapshot of ``as_of`` in the oracle's shape, keyed by external id."""
    from sqlalchemy import select

    from patron.models import Customer
    from patron_rfm.models import RfmScore, RfmSnapshot

    s = RfmScore
    with app.transaction() as session:
        rows = session.execute(
            select(
                Customer.external_id,
                s.recency_days,
                s.frequency,
                s.monetary_minor,
                s.r_score,
                s.f_score,
                s.m_score,
                s.segment,
                s.tier,
            )
            .join(Customer, Customer.id == s.customer_id)
            .join(RfmSnapshot, RfmSnapshot.id == s.snapshot_id)
            .where(RfmSnapshot.as_of == as_of)
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.fixture
def rfm() -> SimpleNamespace:
    """The helpers above, for tests (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(
        Row=Row, load=load, oracle=oracle, stored=stored, oracle_quantile=oracle_quantile, oracle_metrics=oracle_metrics
    )


def score(app: Any, as_of: date | None = None) -> Any:
    """Run the plugin's scoring in one transaction."""
    from patron_rfm.snapshots import score as run

    with app.transaction() as session:
        return run(app, session, as_of)


@pytest.fixture
def rfm_score() -> Any:
    """``rfm_score(app, as_of=None)`` → the ScoreRun."""
    return score


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)
