"""Column specs: a label, a number format and a unit, accepted wherever a column name is."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

from patron.contracts import Column, Table, column_spec, readable
from patron.money import Money
from patron.reports.render.display import display, display_rows, summary_items


def test_a_column_is_its_name() -> None:
    col = Column("revenue_share_pct", "Share of revenue", "percent")
    assert col == "revenue_share_pct" and isinstance(col, str) and col.name == "revenue_share_pct"
    assert {col: 1}["revenue_share_pct"] == 1
    assert pickle.loads(pickle.dumps(col)).label == "Share of revenue"
    assert Column("mean_recency_days", "Mean recency", "days").heading == "Mean recency (days)"


def test_plain_names_get_readable_labels() -> None:
    assert readable("new_buyers") == "New buyers"
    assert readable("customer_id") == "Customer ID"
    assert readable("detractors_pct") == "Detractors %" and readable("pct_of_x") == "% of x"
    assert readable("Revenue (USD)") == "Revenue (USD)"
    assert column_spec("returning_buyers").heading == "Returning buyers"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'pct'"):
        Column("x", "X", "pct")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "column", "shown"),
    [
        (12.5, Column("s", "S", "percent"), "12.5%"),
        (80, Column("a", "A", "percent", decimals=0), "80%"),
        (1234.56, Column("d", "D", "days"), "1,234.6"),
        (3, Column("n", "N", "number"), "3.00"),
        (1042, Column("customer_id", "Customer", "id"), "1042"),
        (Money(250031563, "USD"), Column("r", "Revenue", "money"), "$2,500,315.63"),
        (Decimal("7"), Column("c", "C", "count"), "7"),
    ],
)
def test_display_by_format(value: object, column: Column, shown: str) -> None:
    assert display(value, column) == shown


def test_an_undeclared_column_keeps_one_number_of_decimals() -> None:
    table = Table("t", "T", ("name", "mean", "count"), [("a", 2.0, 3), ("b", 2.19, 4)])
    specs, rows = display_rows(table)
    assert [s.heading for s in specs] == ["Name", "Mean", "Count"]
    assert [r[1] for r in rows] == ["2.00", "2.19"]
    assert [r[2] for r in rows] == ["3", "4"]


def test_summary_keys_may_be_columns() -> None:
    items = summary_items({Column("a_percent", "A tier", "percent", decimals=0): 80, "Revenue": Money(199, "EUR")})
    assert items == [("A tier", "80%"), ("Revenue", "€1.99")]
