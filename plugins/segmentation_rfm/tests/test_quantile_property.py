"""Property: the SQL quantile score equals ``1 + floor(5 (rank − 1) / n)`` computed in plain Python.

Runs the plugin's own SQL expression (``scoring.quantile_score`` over ``RANK()``)
on each engine against arbitrary value lists, with many ties; and checks the
promises users rely on: equal values share a score, better never scores lower,
scores stay within 1–5.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, delete, func, insert, select

from patron_rfm.scoring import quantile_score

metadata = MetaData()
values_table = Table("q_values", metadata, Column("id", Integer, primary_key=True), Column("v", BigInteger))


@pytest.fixture
def engine(make_patron_app):
    engine = make_patron_app(migrate=False).engine  # disposed by the fixture
    metadata.create_all(engine)
    return engine


def python_scores(values: list[int], higher_is_better: bool) -> list[int]:
    n = len(values)
    scores = []
    for v in values:
        # RANK(): 1 + the number of values ordered strictly before v.
        rank = 1 + sum(1 for w in values if (w < v if higher_is_better else w > v))
        scores.append(1 + (5 * (rank - 1)) // n)
    return scores


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.integers(min_value=-(10**12), max_value=10**12) | st.integers(0, 5), min_size=1, max_size=60))
def test_sql_quantile_scores_equal_the_formula(engine, values):
    t = values_table.c
    n = func.count().over()
    query = select(
        t.id,
        quantile_score(func.rank().over(order_by=t.v.asc()), n).label("up"),
        quantile_score(func.rank().over(order_by=t.v.desc()), n).label("down"),
    ).order_by(t.id)
    with engine.begin() as conn:
        conn.execute(delete(values_table))
        conn.execute(insert(values_table), [{"id": i, "v": v} for i, v in enumerate(values)])
        rows = conn.execute(query).all()
    up, down = [int(r.up) for r in rows], [int(r.down) for r in rows]
    assert up == python_scores(values, higher_is_better=True)
    assert down == python_scores(values, higher_is_better=False)
    for scores, sign in ((up, 1), (down, -1)):
        assert all(1 <= s <= 5 for s in scores)
        for v, s in zip(values, scores, strict=True):
            for w, z in zip(values, scores, strict=True):
                if v == w:
                    assert s == z  # equal values share a score
                elif (v - w) * sign > 0:
                    assert s >= z  # better never scores lower
