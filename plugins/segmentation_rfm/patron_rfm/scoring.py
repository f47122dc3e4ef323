"""Scores 1–5, segments and ABC tiers for every measured customer, in one SELECT.

Quantile method: ``score = 1 + floor(5 × (rank − 1) / n)`` where ``rank`` is the
SQL ``RANK()`` (ties share the lowest rank) ordered so that better is higher:
frequency and monetary ascending, recency descending. ``n`` is the number of
measured customers. Integer division floors for these non-negative operands on
both SQLite and PostgreSQL, so both give the same numbers.

Thresholds method: fixed cut points from the config (see ``config.Thresholds``).

The statement nests three levels (metrics → window values → scores → segment)
because SQL cannot refer to a window result in the same SELECT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, func, literal, select, true
from sqlalchemy.sql.elements import ColumnElement

from patron_rfm.abc import revenue_windows, tier_case
from patron_rfm.config import RfmConfig, Thresholds
from patron_rfm.metrics import Window, metrics_query
from patron_rfm.segments import SegmentRule

OUTPUT_COLUMNS = (
    "customer_id",
    "recency_days",
    "frequency",
    "monetary_minor",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "tier",
)


def quantile_score(rank: ColumnElement[Any], n: ColumnElement[Any]) -> ColumnElement[Any]:
    """``1 + floor(5 (rank − 1) / n)`` with integer arithmetic."""
    return 1 + (5 * (rank - 1)) // n


def threshold_score(value: ColumnElement[Any], cuts: Sequence[int], higher_is_better: bool) -> ColumnElement[Any]:
    """1 + the number of cut points ≤ value (or 5 − that number when lower is better)."""
    passed: ColumnElement[Any] = sum((case((value >= cut, 1), else_=0) for cut in cuts), start=literal(0))
    return 1 + passed if higher_is_better else 5 - passed


def segment_case(
    r: ColumnElement[Any], f: ColumnElement[Any], m: ColumnElement[Any], rules: Sequence[SegmentRule]
) -> ColumnElement[Any]:
    """The segment machine name; rules are validated to be disjoint, so their order does not matter."""
    whens = []
    for rule in rules:
        tests = [
            t
            for t in (_within(r, rule.bounds("r")), _within(f, rule.bounds("f")), _within(m, rule.bounds("m")))
            if t is not None
        ]
        # A rule covering every code (a one-segment preset) matches every row.
        whens.append((and_(*tests) if tests else true(), literal(rule.slug)))
    return case(*whens)


def _within(score: ColumnElement[Any], bounds: tuple[int, int]) -> ColumnElement[bool] | None:
    """``score`` within ``bounds``; None for 1-5, which every score is (a shorter statement to build and run)."""
    low, high = bounds
    if (low, high) == (1, 5):
        return None
    return score == low if low == high else score.between(low, high)


def scores_query(window: Window, config: RfmConfig, dialect: str) -> Select[Any]:
    """SELECT the ``OUTPUT_COLUMNS`` for every measured customer."""
    metrics = metrics_query(window, dialect).subquery("metrics")
    rec, freq, mon, cid = metrics.c.recency_days, metrics.c.frequency, metrics.c.monetary_minor, metrics.c.customer_id
    if config.method == "quantile":
        n = func.count().over()
        score_columns = [
            quantile_score(func.rank().over(order_by=rec.desc()), n).label("r_score"),
            quantile_score(func.rank().over(order_by=freq.asc()), n).label("f_score"),
            quantile_score(func.rank().over(order_by=mon.asc()), n).label("m_score"),
        ]
    else:
        cuts: Thresholds = config.thresholds
        score_columns = [
            threshold_score(rec, cuts.recency_days, higher_is_better=False).label("r_score"),
            threshold_score(freq, cuts.frequency, higher_is_better=True).label("f_score"),
            threshold_score(mon, cuts.monetary_minor, higher_is_better=True).label("m_score"),
        ]
    windows = revenue_windows(mon, cid)
    scored = select(
        cid,
        rec,
        freq,
        mon,
        *score_columns,
        windows["revenue_before"].label("revenue_before"),
        windows["revenue_total"].label("revenue_total"),
    ).subquery("scored")
    s = scored.c
    r, f, m = cast(s.r_score, Integer), cast(s.f_score, Integer), cast(s.m_score, Integer)
    return select(
        s.customer_id,
        s.recency_days,
        s.frequency,
        s.monetary_minor,
        r.label("r_score"),
        f.label("f_score"),
        m.label("m_score"),
        segment_case(s.r_score, s.f_score, s.m_score, config.segments).label("segment"),
        tier_case(
            s.monetary_minor, s.revenue_before, s.revenue_total, config.abc_a_percent, config.abc_b_percent
        ).label("tier"),
    )
