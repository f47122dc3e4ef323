"""The overview against an independent plain-Python computation, on a few thousand random interactions.

The report computes everything in SQL (set-based, one pass per query); this
test recomputes every number from the rows in Python, the slow obvious way,
so a rewrite of a query for speed cannot change a number unnoticed. Runs on
SQLite and PostgreSQL (the ``patron_app`` fixture).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from patron.contracts import as_of_instant
from patron.models import Customer, Interaction
from patron.money import Money
from patron.reports.periods import Period, change_pct
from patron.reports.runner import run_report
from patron.reports.sqlparts import month_range, months_back

FIRST = datetime(2022, 1, 1, tzinfo=UTC)
SPAN = int((datetime(2025, 1, 1, tzinfo=UTC) - FIRST).total_seconds())


Rows = list[dict[str, Any]]


def _data(seed: int, customers: int = 250, interactions: int = 3000) -> tuple[Rows, Rows]:
    rng = random.Random(seed)
    people = [
        {
            "id": i,
            "external_id": f"c{i}",
            "name": f"Customer {i}",
            "attributes": {},
            "created_at": FIRST + timedelta(seconds=rng.randrange(SPAN)),
            "updated_at": FIRST,
        }
        for i in range(1, customers + 1)
    ]
    rows = []
    for n in range(interactions):
        kind = rng.choices(("purchase", "refund", "visit", "email_sent"), (70, 8, 15, 7))[0]
        money = kind in ("purchase", "refund") or rng.random() < 0.1
        rows.append(
            {
                "external_id": f"i{n}",
                # Skewed: low ids buy much more often, some customers never do.
                "customer_id": min(customers, 1 + int(rng.paretovariate(0.9)) % customers),
                "kind": kind,
                "channel": rng.choice(("web", "store", "phone", None)),
                "occurred_at": FIRST + timedelta(seconds=rng.randrange(SPAN)),
                "amount_minor": rng.randrange(0, 50_000) if money else None,
                "currency": (rng.choice(("EUR", "EUR", "EUR", "USD")) if money else None),
                "payload": {},
                "recorded_at": FIRST,
            }
        )
    return people, rows


def _expected(
    people: list[dict[str, Any]], rows: list[dict[str, Any]], as_of: date, months: int, active_days: int, top: int
) -> dict[str, Any]:
    """Every number of the overview, from the rows, in plain Python."""
    end = as_of_instant(as_of)
    first_month = months_back(as_of - timedelta(days=1), months)
    start = datetime(first_month.year, first_month.month, 1, tzinfo=UTC)
    keys = month_range(first_month, months)
    before_end = [r for r in rows if r["occurred_at"] < end]
    by_currency = Counter(r["currency"] for r in before_end if r["kind"] == "purchase" and r["currency"])
    currency = min(by_currency, key=lambda c: (-by_currency[c], c))

    def month(t: datetime) -> str:
        return f"{t.year:04d}-{t.month:02d}"

    def signed(r: dict[str, Any]) -> int:
        return {"purchase": r["amount_minor"], "refund": -r["amount_minor"]}.get(r["kind"], 0)

    def money_rows(p: Period) -> list[dict[str, Any]]:
        return [
            r
            for r in rows
            if p.start <= r["occurred_at"] < p.end and r["kind"] in ("purchase", "refund") and r["currency"] == currency
        ]

    window = Period(start, end)
    revenue = {m: [0, 0] for m in keys}
    for r in money_rows(window):
        revenue[month(r["occurred_at"])][0] += r["kind"] == "purchase"
        revenue[month(r["occurred_at"])][1] += signed(r)
    purchases = [r for r in rows if r["kind"] == "purchase"]
    first: dict[int, datetime] = {}
    for r in purchases:
        if r["customer_id"] not in first or r["occurred_at"] < first[r["customer_id"]]:
            first[r["customer_id"]] = r["occurred_at"]
    buyers: dict[str, set[int]] = defaultdict(set)
    for r in purchases:
        if start <= r["occurred_at"] < end:
            buyers[month(r["occurred_at"])].add(r["customer_id"])
    new = Counter(month(t) for t in first.values() if start <= t < end)
    totals: dict[int, list[Any]] = {}
    for r in money_rows(window):
        t = totals.setdefault(r["customer_id"], [0, 0, r["occurred_at"]])
        t[0] += r["kind"] == "purchase"
        t[1] += signed(r)
        t[2] = max(t[2], r["occurred_at"])
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][1], kv[0]))[:top]
    heat = Counter(
        (r["channel"] or "unknown", month(r["occurred_at"])) for r in rows if start <= r["occurred_at"] < end
    )

    def figures(p: Period, a: Period) -> list[Any]:
        paid = money_rows(p)
        n, total = sum(r["kind"] == "purchase" for r in paid), sum(signed(r) for r in paid)
        return [
            sum(c["created_at"] < p.end for c in people),
            len({r["customer_id"] for r in purchases if a.start <= r["occurred_at"] < a.end}),
            Money(total, currency),
            n,
            total,  # the average is checked from these two: exact, rounded half-even by the report
            sum(p.start <= t < p.end for t in first.values()),
        ]

    active = Period(end - timedelta(days=active_days), end)
    return {
        "currency": currency,
        "revenue": [(m, n, Money(v, currency)) for m, (n, v) in revenue.items()],
        "mix": [(m, new[m], len(buyers[m]) - new[m]) for m in keys],
        "top": [(cid, n, Money(v, currency), last.date()) for cid, (n, v, last) in ranked],
        "heat": heat,
        "periods": {
            "now": figures(window, active),
            "previous": figures(window.previous(), active.previous()),
            "year": figures(window.year_earlier(), active.year_earlier()),
        },
    }


@pytest.mark.parametrize(
    ("seed", "as_of", "months", "active_days", "top"),
    [
        (1, date(2024, 6, 15), 12, 45, 7),
        (2, date(2024, 3, 1), 5, 200, 25),
        (3, date(2025, 2, 1), 36, 30, 3),
        # One partial month ending on a 29 February, a one-day activity window and no top list.
        (4, date(2024, 3, 1), 1, 1, 0),
        (5, date(2024, 2, 29), 1, 400, 1),
    ],
)
def test_overview_matches_a_plain_python_computation(patron_app, seed, as_of, months, active_days, top):
    people, rows = _data(seed)
    with patron_app.transaction() as session:
        session.execute(insert(Customer), people)
        session.execute(insert(Interaction), rows)
    want = _expected(people, rows, as_of, months, active_days, top)
    result = run_report(
        patron_app, "overview", [f"as_of={as_of}", f"months={months}", f"active_days={active_days}", f"top={top}"]
    ).result
    tables = {t.name: t for t in result.tables}

    got_revenue = [(r[0][:7], r[1], r[2]) for r in tables["revenue_by_month"].rows]
    assert got_revenue == want["revenue"]
    assert [(r[0][:7], r[1], r[2]) for r in tables["new_vs_returning"].rows] == want["mix"]
    assert [(r[1], r[4], r[5], r[6]) for r in tables["top_customers"].rows] == want["top"]
    heat = next(f for f in result.figures if f.kind == "heatmap")
    keys = [m for m, _, _ in want["revenue"]]
    assert {ch: list(v) for ch, v in heat.series.items()} == {
        ch: [float(want["heat"][(ch, m)]) for m in keys] for ch in sorted({ch for ch, _ in want["heat"]})
    }

    figures = {r[0]: r[1:] for r in tables["key_figures"].rows}
    names = list(figures)
    for column, period in ((0, "now"), (1, "previous"), (3, "year")):
        customers, active, revenue, n, total, new = want["periods"][period]
        got = [figures[name][column] for name in names]
        assert got[0] == customers and got[1] == active and got[2] == revenue and got[3] == n and got[5] == new
        average = got[4]
        assert isinstance(average, Money) and average.currency == want["currency"]
        # Rounded half-even to the cent: within half a cent of the exact mean (0 when there were no purchases).
        assert abs(average.minor * n - total) * 2 <= n if n else average.minor == 0
    for name in names:
        now, previous, change, year, year_change = figures[name]
        assert change == change_pct(now, previous) and year_change == change_pct(now, year)
    assert result.summary["Customers"] == want["periods"]["now"][0]
