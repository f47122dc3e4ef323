"""The core's overview report: exact numbers on a small known data set, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from patron.reports.runner import run_report


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def shop(patron_app, patron_factory):
    """Three customers over Jan–Mar 2024 with purchases, a refund and a visit."""
    f = patron_factory(patron_app)
    a = f.customer(external_id="A", name="Ann", created_at=at(2024, 1, 5))
    b = f.customer(external_id="B", name="Bob", created_at=at(2024, 2, 1))
    c = f.customer(external_id="C", name='=HYPERLINK("http://x")', created_at=at(2024, 3, 1))
    f.interaction(a, occurred_at=at(2024, 1, 10), amount_minor=10000, channel="web")
    f.interaction(a, occurred_at=at(2024, 2, 15), amount_minor=5000, channel="store")
    f.interaction(a, kind="refund", occurred_at=at(2024, 2, 20), amount_minor=-2000, channel="store")
    f.interaction(b, occurred_at=at(2024, 2, 3), amount_minor=3000, channel="web")
    f.interaction(b, kind="visit", occurred_at=at(2024, 3, 1), amount_minor=None, currency=None, channel="web")
    f.interaction(c, occurred_at=at(2024, 3, 5), amount_minor=1000, channel="phone")
    return patron_app


def test_overview_numbers(shop):
    run = run_report(shop, "overview", ["months=3"])
    result = run.result
    assert result.as_of == date(2024, 3, 6)  # the day after the last interaction
    tables = {t.name: t for t in result.tables}
    assert [tuple(r) for r in tables["revenue_by_month"].rows] == [
        ("2024-01", 1, Decimal("100.00")),
        ("2024-02", 2, Decimal("60.00")),  # 50 + 30 - 20 refunded
        ("2024-03", 1, Decimal("10.00")),
    ]
    assert [tuple(r) for r in tables["new_vs_returning"].rows] == [
        ("2024-01", 1, 0),
        ("2024-02", 1, 1),
        ("2024-03", 1, 0),
    ]
    top = [(r[2], r[4], r[5], r[6]) for r in tables["top_customers"].rows]
    assert top == [
        ("A", 2, Decimal("130.00"), date(2024, 2, 20)),
        ("B", 1, Decimal("30.00"), date(2024, 2, 3)),
        ("C", 1, Decimal("10.00"), date(2024, 3, 5)),
    ]
    summary = result.summary
    assert summary["Customers"] == 3
    assert summary["Active customers (bought in the last 90 days)"] == 3
    assert summary["Revenue (EUR, 2024-01 to 2024-03)"] == Decimal("170.00")
    assert summary["Purchases in window"] == 4
    heat = next(f for f in result.figures if f.kind == "heatmap")
    assert heat.series["web"] == [1.0, 1.0, 1.0] and heat.series["phone"] == [0.0, 0.0, 1.0]


def test_overview_parameters_move_the_window(shop):
    run = run_report(shop, "overview", ["as_of=2024-02-16", "months=2", "active_days=20", "top=1"])
    tables = {t.name: t for t in run.result.tables}
    assert [r[0] for r in tables["revenue_by_month"].rows] == ["2024-01", "2024-02"]
    assert tables["revenue_by_month"].rows[1][2] == Decimal("80.00")  # the refund of 02-20 is after as_of
    assert len(tables["top_customers"].rows) == 1
    assert run.result.summary["Active customers (bought in the last 20 days)"] == 2  # B (02-03) and A (02-15)
    assert run.footer.as_of == "2024-02-16"


def test_overview_on_an_empty_database_renders(patron_app):
    run = run_report(patron_app, "overview", ["as_of=2024-01-01", "months=2"])
    assert run.result.summary["Customers"] == 0
    assert [r[1] for r in run.result.tables[0].rows] == [0, 0]


def test_out_of_range_parameters_are_refused(patron_app):
    from patron.errors import InputError

    with pytest.raises(InputError, match="--param months=0: must be between 1 and 120"):
        run_report(patron_app, "overview", ["months=0"])
