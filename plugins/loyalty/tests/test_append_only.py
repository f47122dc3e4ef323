"""The ledger is append-only on both engines: no REPLACE on SQLite, no TRUNCATE on PostgreSQL.

Before loyalty_0002, ``INSERT OR REPLACE`` turned a 10-point entry into 99,999
points without firing the DELETE trigger, and ``TRUNCATE loyalty_ledger CASCADE``
emptied the ledger.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from patron_loyalty.models import LedgerEntry
from patron_loyalty.testing import balance, problems
from patron_sdk.data import customers, purchase


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=["loyalty"])


def _entry(app):
    (c,) = customers(app, 1)
    purchase(app, c, "p1", 1000)
    with app.transaction() as s:
        return c, s.scalars(select(LedgerEntry)).one()


def test_replace_cannot_rewrite_a_ledger_entry(app):
    if app.engine.dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite syntax")
    c, e = _entry(app)
    columns = "id, customer_id, kind, points, source, idempotency_key, batch, occurred_at, recorded_at"
    forged = (
        f"INSERT OR REPLACE INTO loyalty_ledger ({columns}) VALUES "
        f"({e.id}, {c}, 'adjust', 99999, 'admin', 'forged', 'b', '2020-01-01', '2020-01-01')"
    )
    same_key = forged.replace(f"({e.id},", f"({e.id + 100},").replace("'forged'", f"'{e.idempotency_key}'")
    with pytest.raises(sa_exc.DatabaseError, match="append-only"), app.transaction() as s:
        s.execute(text(forged))
    raw = sqlite3.connect(app.engine.url.database)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute(forged)
    raw.execute(same_key)  # skipped: the entry holding that idempotency key stays
    raw.commit()
    raw.close()
    with app.transaction() as s:
        assert [(x.id, x.points) for x in s.scalars(select(LedgerEntry))] == [(e.id, 10)]
    assert balance(app, c) == 10
    assert problems(app) == []


def test_truncate_cannot_empty_the_ledger(app):
    if app.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    c, _ = _entry(app)
    for statement in ("TRUNCATE loyalty_ledger CASCADE", "TRUNCATE customers CASCADE"):
        with pytest.raises(sa_exc.DatabaseError, match="append-only"), app.transaction() as s:
            s.execute(text(statement))
    assert balance(app, c) == 10
    assert problems(app) == []
