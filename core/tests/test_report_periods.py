"""Period comparison: the arithmetic of periods, the change and its label, and the overview's key figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patron.contracts import as_of_instant
from patron.money import Money, to_minor
from patron.reports.periods import NO_CHANGE, Period, change_label, change_pct, year_earlier
from patron.reports.runner import run_report

days = st.dates(min_value=date(1971, 1, 1), max_value=date(2999, 12, 31))


@given(as_of=days, length=st.integers(min_value=1, max_value=3660))
def test_the_previous_period_has_the_same_length_and_ends_where_the_period_starts(as_of, length):
    end = as_of_instant(as_of)
    period = Period(end - timedelta(days=length), end)
    before = period.previous()
    assert before.end == period.start and before.length == period.length == timedelta(days=length)
    assert before.start.tzinfo is UTC and before.start.time() == datetime.min.time()
    assert period.describe_length() == (f"{length} days" if length != 1 else "1 day")


@given(as_of=days, length=st.integers(min_value=1, max_value=3660))
def test_a_year_earlier_is_the_same_calendar_dates_a_year_back(as_of, length):
    end = as_of_instant(as_of)
    period = Period(end - timedelta(days=length), end)
    year = period.year_earlier()
    for now, then in ((period.start, year.start), (period.end, year.end)):
        assert then.year == now.year - 1 and then.month == now.month
        assert then.day == now.day or (now.month, now.day, then.day) == (2, 29, 28)
        assert then.time() == now.time() == datetime.min.time()
    # As long as a year, give or take the 29th of February.
    assert abs(year.length - period.length) <= timedelta(days=1)
    # Everything a year earlier is before the as_of instant: it only reads data the period may read.
    assert year.end <= end


def test_the_29th_of_february_a_year_earlier_is_the_28th():
    assert year_earlier(datetime(2024, 2, 29, tzinfo=UTC)) == datetime(2023, 2, 28, tzinfo=UTC)
    assert year_earlier(datetime(2024, 3, 1, tzinfo=UTC)) == datetime(2023, 3, 1, tzinfo=UTC)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="cannot end"):
        Period(datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("now", "before", "pct", "label"),
    [
        (1123, 1000, Decimal("12.30"), "+12.3 % vs previous 30 days"),
        (960, 1000, Decimal("-4.00"), "-4.0 % vs previous 30 days"),
        (0, 1000, Decimal("-100.00"), "-100.0 % vs previous 30 days"),
        (1000, 1000, Decimal("0.00"), "+0.0 % vs previous 30 days"),
        (1, 3, Decimal("-66.67"), "-66.7 % vs previous 30 days"),
        (Money(250, "EUR"), Money(200, "EUR"), Decimal("25.00"), "+25.0 % vs previous 30 days"),
        # Nothing to compare with: no division by zero, no "inf", a dash.
        (5, 0, None, f"{NO_CHANGE} vs previous 30 days"),
        (0, 0, None, f"{NO_CHANGE} vs previous 30 days"),
        (Money(0, "EUR"), Money(0, "EUR"), None, f"{NO_CHANGE} vs previous 30 days"),
    ],
)
def test_change_and_its_label(now, before, pct, label):
    assert change_pct(now, before) == pct
    assert change_label(change_pct(now, before), "previous 30 days") == label


@given(now=st.integers(min_value=0, max_value=10**12), before=st.integers(min_value=0, max_value=10**12))
def test_a_change_is_a_number_or_a_dash_never_inf(now, before):
    pct = change_pct(now, before)
    label = change_label(pct, "a year earlier")
    assert "inf" not in label.lower() and "nan" not in label.lower()
    assert (pct is None) == (before == 0)
    if pct is not None:
        assert (pct.is_finite() and (pct > 0) == (now > before) and (pct < 0) == (now < before)) or pct == 0
        assert label.startswith(("+", "-"))


def _eur(amount: str) -> Money:
    return Money(to_minor(amount, "EUR"), "EUR")


def test_overview_compares_each_key_figure_with_the_previous_period_and_a_year_earlier(patron_app, patron_factory):
    f = patron_factory(patron_app)
    a = f.customer(external_id="A", created_at=datetime(2023, 1, 2, tzinfo=UTC))
    b = f.customer(external_id="B", created_at=datetime(2023, 1, 3, tzinfo=UTC))
    # Window: March 2024 (as_of 2024-04-01, one month = 31 days); previous: 2024-01-31 to 2024-02-29;
    # a year earlier: March 2023.
    f.interaction(a, occurred_at=datetime(2023, 3, 10, tzinfo=UTC), amount_minor=10000)  # a year earlier
    f.interaction(a, occurred_at=datetime(2024, 2, 10, tzinfo=UTC), amount_minor=20000)  # previous
    f.interaction(a, occurred_at=datetime(2024, 3, 5, tzinfo=UTC), amount_minor=15000)
    f.interaction(b, occurred_at=datetime(2024, 3, 6, tzinfo=UTC), amount_minor=15000)
    # Just before the window's previous period: counted in none of the three.
    f.interaction(b, occurred_at=datetime(2024, 1, 29, 23, 59, tzinfo=UTC), amount_minor=99900)
    # On as_of: after the data the report may read.
    f.interaction(b, occurred_at=datetime(2024, 4, 1, tzinfo=UTC), amount_minor=77700)
    result = run_report(patron_app, "overview", ["as_of=2024-04-01", "months=1", "active_days=31"]).result
    table = next(t for t in result.tables if t.name == "key_figures")
    assert "2024-03-01 to 2024-03-31" in table.title and "previous 31 days (2024-01-30 to 2024-02-29)" in table.title
    rows = {r[0].split(" (")[0]: r[1:] for r in table.rows}
    assert rows["Revenue"] == (_eur("300.00"), _eur("200.00"), Decimal("50.00"), _eur("100.00"), Decimal("200.00"))
    assert rows["Purchases in window"] == (2, 1, Decimal("100.00"), 1, Decimal("100.00"))
    assert rows["Average order value"] == (
        _eur("150.00"),
        _eur("200.00"),
        Decimal("-25.00"),
        _eur("100.00"),
        Decimal("50.00"),
    )
    # A first purchased in March 2023, B on 2024-01-29 (before the previous period): nobody new since.
    assert rows["New buyers in window"] == (0, 0, None, 1, Decimal("-100.00"))
    assert rows["Customers"] == (2, 2, Decimal("0.00"), 2, Decimal("0.00"))
    assert rows["Active customers"] == (2, 1, Decimal("100.00"), 1, Decimal("100.00"))
    summary = result.summary
    assert summary["Revenue: change"] == "+50.0 % vs previous 31 days; +200.0 % vs a year earlier"
    assert summary["New buyers in window: change"] == f"{NO_CHANGE} vs previous 31 days; -100.0 % vs a year earlier"
    assert summary["Customers: change"] == "+0.0 % vs 31 days earlier; +0.0 % vs a year earlier"
    assert summary["Average order value: change"] == "-25.0 % vs previous 31 days; +50.0 % vs a year earlier"


def test_a_period_without_data_shows_a_dash_in_every_format(patron_app):
    from patron.reports.render import render

    run = run_report(patron_app, "overview", ["as_of=2024-01-01", "months=2"])
    table = next(t for t in run.result.tables if t.name == "key_figures")
    assert all(r[3] is None and r[5] is None for r in table.rows)
    changes = [v for k, v in run.result.summary.items() if k.endswith(": change")]
    assert len(changes) == 6
    against = "(previous 61 days|previous 90 days|61 days earlier)"
    assert all(re.fullmatch(f"{NO_CHANGE} vs {against}; {NO_CHANGE} vs a year earlier", v) for v in changes)
    for fmt in ("html", "md", "text", "json", "csv"):
        text = "\n".join(render(run, fmt).values())
        assert not re.search(r"\b(inf|infinity|nan)\b", text, re.IGNORECASE), fmt
        if fmt in ("html", "md", "text"):
            assert f"{NO_CHANGE} vs previous 61 days" in text and f"{NO_CHANGE} vs 61 days earlier" in text


@given(as_of=days, months=st.integers(min_value=1, max_value=120), length=st.integers(min_value=1, max_value=3660))
def test_the_overview_pieces_add_up_to_each_period_and_each_month(as_of, months, length):
    """The overview reads one value per piece; every period and month it shows must be a sum of whole pieces."""
    from patron.reports.overview import _month_cuts, _pieces
    from patron.reports.sqlparts import months_back

    end = as_of_instant(as_of)
    first = months_back(as_of - timedelta(days=1), months)
    window = Period(datetime(first.year, first.month, 1, tzinfo=UTC), end)
    periods = [window, window.previous(), window.year_earlier(), Period(end - timedelta(days=length), end)]
    month_spans = _month_cuts(window)
    assert len(month_spans) == months
    for span in month_spans:  # each inside one calendar month, the first starting on the 1st
        assert span.start.day == 1 and span.start < span.end
        assert (span.end - timedelta(microseconds=1)).strftime("%Y-%m") == span.start.strftime("%Y-%m")
    assert month_spans[0].start == window.start and month_spans[-1].end == window.end
    year_months = _month_cuts(window.year_earlier())
    pieces = _pieces(periods, [p.start for p in [*month_spans, *year_months]])
    assert all(a.end <= b.start for a, b in pairwise(pieces))  # in order, disjoint
    for part in [*periods, *month_spans, *year_months]:
        inside = [p for p in pieces if part.start <= p.start and p.end <= part.end]
        assert sum((p.length for p in inside), timedelta()) == part.length  # covered exactly, no gap
    for piece in pieces:
        assert any(p.start <= piece.start and piece.end <= p.end for p in periods)
