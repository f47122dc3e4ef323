"""patron_sdk.plans: what counts as reading a whole table, on real SQLite plans."""

from __future__ import annotations

import pytest

from patron_sdk.data import customers, purchase
from patron_sdk.plans import full_reads, sqlite_plans


def _run(app, *statements):
    with sqlite_plans(app) as plans, app.transaction() as session:
        for statement in statements:
            session.connection().exec_driver_sql(statement)
    return plans


@pytest.mark.sqlite_only
def test_whole_tables_aliases_and_kind_searches_are_full_reads(patron_app):
    purchase(patron_app, customers(patron_app, 1)[0], "p1", 100)
    plans = _run(
        patron_app,
        "SELECT count(*) FROM customers WHERE name LIKE '%a%'",
        "SELECT count(*) FROM interactions AS bought WHERE bought.amount_minor > 5",
        "SELECT id FROM interactions WHERE kind = 'purchase' AND id BETWEEN 1 AND 10",
    )
    lines = [read.line for read in full_reads(plans)]
    assert len(lines) == 3
    assert lines[0].startswith("SCAN customers") and lines[1].startswith("SCAN bought")
    assert "(kind=?)" in lines[2]
    assert full_reads(plans, tables=["customers"])[0].line == lines[0]
    assert "SCAN customers" in str(full_reads(plans)[0]) and "SELECT count(*) FROM customers" in str(
        full_reads(plans)[0]
    )


@pytest.mark.sqlite_only
def test_seeks_subqueries_ctes_and_json_each_are_not(patron_app):
    plans = _run(
        patron_app,
        "SELECT id FROM interactions WHERE id BETWEEN 1 AND 10 AND +kind = 'purchase'",
        "SELECT * FROM (SELECT customer_id, count(*) AS n FROM interactions WHERE id > 5 GROUP BY +customer_id"
        " ORDER BY n LIMIT 3) AS top",
        "WITH batch AS MATERIALIZED (SELECT customer_id FROM interactions WHERE id > 5) SELECT count(*) FROM batch",
        "SELECT id FROM customers WHERE external_id IN (SELECT value FROM json_each('[\"c0\"]'))",
    )
    assert len(plans) == 4 and all(plan.lines for plan in plans)
    assert full_reads(plans) == []


def test_only_sqlite_has_these_plans(patron_app):
    if patron_app.engine.dialect.name == "sqlite":
        pytest.skip("the refusal is for other engines")
    with pytest.raises(ValueError, match="SQLite's query plans"), sqlite_plans(patron_app):
        pass
