"""The core's overview report: exact numbers on a small known data set, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from patron.money import Money, to_minor
from patron.reports.runner import run_report


def eur(amount: str) -> Money:
    return Money(to_minor(amount, "EUR"), "EUR")


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
    f.interaction(a, external_id="P-A2", occurred_at=at(2024, 2, 15), amount_minor=5000, channel="store")
    f.interaction(
        a, kind="refund", occurred_at=at(2024, 2, 20), amount_minor=2000, channel="store", payload={"refund_of": "P-A2"}
    )
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
        ("2024-01", 1, eur("100.00")),
        ("2024-02", 2, eur("60.00")),  # 50 + 30 - 20 refunded
        ("2024-03 (days 1-5)", 1, eur("10.00")),  # as_of 2024-03-06: March is partial, and says so
    ]
    assert [tuple(r) for r in tables["new_vs_returning"].rows] == [
        ("2024-01", 1, 0),
        ("2024-02", 1, 1),
        ("2024-03 (days 1-5)", 1, 0),
    ]
    top = [(r[2], r[4], r[5], r[6]) for r in tables["top_customers"].rows]
    assert top == [
        ("A", 2, eur("130.00"), date(2024, 2, 20)),
        ("B", 1, eur("30.00"), date(2024, 2, 3)),
        ("C", 1, eur("10.00"), date(2024, 3, 5)),
    ]
    summary = result.summary
    assert summary["Customers"] == 3
    assert summary["Active customers (bought in the last 90 days)"] == 3
    assert summary["Revenue (EUR, 2024-01 to 2024-03 (days 1-5))"] == eur("170.00")
    assert summary["Average order value (EUR)"] == eur("42.50")
    assert summary["Purchases in window"] == 4
    heat = next(f for f in result.figures if f.kind == "heatmap")
    assert heat.series["web"] == [1.0, 1.0, 1.0] and heat.series["phone"] == [0.0, 0.0, 1.0]


def test_revenue_chart_shows_the_same_months_a_year_earlier(shop, patron_factory):
    f = patron_factory(shop)
    d = f.customer(external_id="D", name="Dee", created_at=at(2023, 1, 1))
    f.interaction(d, external_id="Y1", occurred_at=at(2023, 2, 10), amount_minor=4000)
    f.interaction(d, external_id="Y2", occurred_at=at(2023, 3, 4), amount_minor=700)  # within days 1-5
    f.interaction(d, external_id="Y3", occurred_at=at(2023, 3, 7), amount_minor=900)  # after them: not compared
    f.interaction(d, external_id="Y4", occurred_at=at(2022, 12, 31, 23), amount_minor=5000)  # before the span
    run = run_report(shop, "overview", ["months=3", "as_of=2024-03-06"])
    revenue = next(fig for fig in run.result.figures if fig.name == "revenue")
    assert revenue.series["Revenue"] == [100.0, 60.0, 10.0]
    assert revenue.series["Same months a year earlier"] == [0.0, 40.0, 7.0]


def test_overview_parameters_move_the_window(shop):
    run = run_report(shop, "overview", ["as_of=2024-02-16", "months=2", "active_days=20", "top=1"])
    tables = {t.name: t for t in run.result.tables}
    assert [r[0] for r in tables["revenue_by_month"].rows] == ["2024-01", "2024-02 (days 1-15)"]
    assert tables["revenue_by_month"].rows[1][2] == eur("80.00")  # the refund of 02-20 is after as_of
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


def test_a_window_ending_on_the_first_has_only_whole_months(shop):
    rows = run_report(shop, "overview", ["as_of=2024-03-01", "months=2"]).result.tables[0].rows
    assert [tuple(r) for r in rows] == [("2024-01", 1, eur("100.00")), ("2024-02", 2, eur("60.00"))]


def test_average_order_value_rounds_half_even_not_down(patron_app, patron_factory):
    # 20 purchases totalling 651.37 USD: the mean is 32.5685, shown 32.57 (it was truncated to 32.56).
    f = patron_factory(patron_app)
    c = f.customer()
    for i in range(19):
        f.interaction(c, occurred_at=at(2024, 1, 1 + i), amount_minor=3257, currency="USD")
    f.interaction(c, occurred_at=at(2024, 1, 25), amount_minor=65137 - 19 * 3257, currency="USD")
    summary = run_report(patron_app, "overview", ["as_of=2024-02-01", "months=1"]).result.summary
    assert summary["Average order value (USD)"] == Money(3257, "USD")


@pytest.mark.parametrize(("currency", "minor", "shown"), [("XOF", 1000, "1,000"), ("CLF", 1000, "0.1000")])
def test_revenue_uses_the_iso_exponent_of_its_currency(patron_app, patron_factory, currency, minor, shown):
    # The reports' own table said XOF and CLF had 2 decimals: 1000 XOF showed as 10.00, 1000 CLF as 100000.00.
    from patron.reports.render import render

    f = patron_factory(patron_app)
    f.interaction(f.customer(), occurred_at=at(2024, 1, 10), amount_minor=minor, currency=currency)
    run = run_report(patron_app, "overview", ["as_of=2024-02-01", "months=1"])
    assert run.result.tables[0].rows[0][2] == Money(minor, currency)
    md = "\n".join(render(run, "md").values())
    cell = Money(minor, currency).format()  # CLF "CLF 0.1000", XOF "F CFA 1,000" (CLDR's symbol)
    assert cell.endswith(shown) and f"| {cell} |" in md
    csv_text = render(run, "csv")["revenue_by_month"]
    assert f"2024-01,1,{shown.replace(',', '')},{currency}" in csv_text
    assert "revenue,revenue_currency" in csv_text


def test_overview_excludes_data_on_and_after_as_of(shop, patron_factory):
    before = run_report(shop, "overview", ["as_of=2024-02-15", "months=2"]).result
    patron_factory(shop).interaction(1, occurred_at=datetime(2024, 2, 15, 0, 0, tzinfo=UTC), amount_minor=999)
    after = run_report(shop, "overview", ["as_of=2024-02-15", "months=2"]).result
    assert after.tables == before.tables and after.summary == before.summary


@pytest.mark.parametrize(
    ("purchases", "expected"),
    [
        ([], None),  # no purchase: no currency
        (["USD", "USD"], "USD"),  # one currency: found without counting
        (["EUR", "USD", "USD", "GBP"], "USD"),  # several: the one most purchases use
        (["USD", "EUR", "GBP", "GBP", "EUR"], "EUR"),  # a tie: the first by code
    ],
)
def test_the_report_currency_is_the_one_most_purchases_use(patron_app, patron_factory, purchases, expected):
    from patron.reports.sqlparts import main_currency

    f = patron_factory(patron_app)
    c = f.customer()
    for i, code in enumerate(purchases):
        f.interaction(c, occurred_at=at(2024, 1, 1 + i), amount_minor=100, currency=code)
    f.interaction(c, occurred_at=at(2024, 3, 1), amount_minor=100, currency="JPY")  # on or after end: not counted
    with patron_app.transaction() as session:
        assert main_currency(session, at(2024, 2, 1, 0)) == expected


def test_a_report_transaction_runs_without_jit_and_leaves_the_connection_as_it_was(patron_app):
    """On PostgreSQL a report's read-only transaction turns JIT off for itself only (SET LOCAL)."""
    from sqlalchemy import text

    from patron.reports.runner import read_only_session

    if patron_app.engine.dialect.name != "postgresql":
        with read_only_session(patron_app) as session:  # SQLite: read-only, and nothing else changes
            assert session.execute(text("PRAGMA query_only")).scalar() == 1
        with patron_app.engine.connect() as conn:
            assert conn.execute(text("PRAGMA query_only")).scalar() == 0
        return
    with patron_app.engine.connect() as conn:
        default = conn.execute(text("SHOW jit")).scalar()
    with read_only_session(patron_app) as session:
        assert session.execute(text("SHOW jit")).scalar() == "off"
        assert session.execute(text("SHOW transaction_read_only")).scalar() == "on"
    with patron_app.engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == default
