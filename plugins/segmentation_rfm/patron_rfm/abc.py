"""ABC value tiers (Pareto), as SQL window expressions over the measured customers.

Customers are ordered by monetary value, highest first, ties by customer id.
A customer is in tier A when the revenue share of the customers *before* them
is below the A threshold (so A holds everyone up to the threshold plus the
customer who crosses it), B likewise up to the B threshold, C the remaining
customers with positive monetary value, D those with zero or negative value.
Revenue is the sum of positive monetary values. Comparisons are exact integer
arithmetic in basis points, so SQLite and PostgreSQL agree to the customer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, literal
from sqlalchemy.sql.elements import ColumnElement

TIERS = ("A", "B", "C", "D")


def basis_points(percent: float) -> int:
    """80 → 8000; percentages are kept to two decimals."""
    return round(percent * 100)


def revenue_windows(monetary: ColumnElement[Any], customer_id: ColumnElement[Any]) -> dict[str, ColumnElement[Any]]:
    """Window expressions: ``revenue_before`` (of the customers ranked above) and ``revenue_total``.

    The customers ranked above one (monetary descending, id ascending) are those
    after it in the reverse order, so ``revenue_before`` is the total less the
    running sum in ascending order up to and including the customer. Ordered
    ascending, the window shares its sort with the M score's ``RANK()`` (ordered
    by monetary ascending): PostgreSQL sorts the customers once for both.
    """
    positive = case((monetary > 0, monetary), else_=0)
    total = func.sum(positive).over()
    through = func.sum(positive).over(order_by=(monetary.asc(), customer_id.desc()), rows=(None, 0))
    return {"revenue_before": total - through, "revenue_total": total}


def tier_case(
    monetary: ColumnElement[Any],
    before: ColumnElement[Any],
    total: ColumnElement[Any],
    a_percent: float,
    b_percent: float,
) -> ColumnElement[Any]:
    """The tier letter from a customer's monetary value and the revenue before them."""
    scaled = before * 10_000
    return case(
        (monetary <= 0, literal("D")),
        (scaled < total * basis_points(a_percent), literal("A")),
        (scaled < total * basis_points(b_percent), literal("B")),
        else_=literal("C"),
    )
