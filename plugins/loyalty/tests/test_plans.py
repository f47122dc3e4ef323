"""Each batch reads its own rows, not the whole history: the SQLite plans of every statement earning runs.

SQLite plans without statistics. Earning filtered a batch by its id range *and*
``kind IN ('purchase', ...)``, and SQLite chose the kind index: every purchase
ever stored, read again for each batch. Balances were grouped and clawbacks
partitioned per customer in the order of the ledger's customer index: the whole
ledger, read again for each batch. An import with loyalty on thus slowed down
batch after batch (quadratic in the history). ``patron.sql.unindexed`` now keeps
those terms out of index selection; these tests fail if a plan goes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from patron_loyalty.redemption import redeem
from patron_loyalty.testing import problems
from patron_sdk.data import T0, customers, purchase, refund

pytestmark = pytest.mark.sqlite_only

#: Tables whose whole contents grow with the history: a batch may seek into them, never scan them.
GROWING = ("interactions", "loyalty_ledger", "loyalty_lots", "loyalty_lot_uses", "loyalty_accounts")


@contextmanager
def plans(app: Any) -> Iterator[list[tuple[str, list[str]]]]:
    """``(statement, plan lines)`` of every single statement run while inside (executemany is a plain insert)."""
    seen: list[tuple[str, list[str]]] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if executemany or not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            return
        raw = conn.connection.driver_connection.cursor()
        try:
            seen.append((statement, [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]))
        finally:
            raw.close()

    event.listen(app.engine, "before_cursor_execute", explain)
    try:
        yield seen
    finally:
        event.remove(app.engine, "before_cursor_execute", explain)


def full_reads(seen: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """Plan lines that read a growing table whole, or all of one kind of interaction."""
    bad = []
    for statement, lines in seen:
        for line in lines:
            scans = any(line.startswith(f"SCAN {table}") for table in GROWING)
            if scans or "ix_interactions_kind" in line:
                bad.append((line, statement.split("\n")[0][:120]))
    return bad


@pytest.fixture
def app(make_patron_app):
    return make_patron_app(plugins=["loyalty"], config={"loyalty": {"first_purchase_bonus": 50}})


def test_earning_clawback_and_redemption_read_only_their_batch(app):
    shoppers = customers(app, 4)
    for n in range(40):  # some history, so that a whole-table read has something to read
        purchase(app, shoppers[n % 4], f"old{n}", 1000 + n, when=T0 - timedelta(days=n))
    with plans(app) as seen:
        purchase(app, shoppers[0], "p1", 2500)
        refund(app, shoppers[0], "r1", "p1", 1000)
        redeem(app, shoppers[1], 5, "voucher")
    statements = " ".join(statement for statement, _ in seen)
    # The batches went through earning, clawback, lot consumption and balances: the plans below are theirs.
    for table in ("loyalty_ledger", "loyalty_lots", "loyalty_lot_uses", "loyalty_accounts"):
        assert f"INSERT INTO {table}" in statements
    assert full_reads(seen) == []
    assert problems(app) == []


def test_the_check_itself_can_see_a_full_read(app):
    # The detector is not blind: a statement that must read the whole ledger is reported.
    customers(app, 1)
    with plans(app) as seen, app.transaction() as session:
        session.connection().exec_driver_sql("SELECT customer_id, sum(points) FROM loyalty_ledger GROUP BY customer_id")
    whole = "SCAN loyalty_ledger USING COVERING INDEX ix_loyalty_ledger_customer_points"
    assert [line for line, _ in full_reads(seen)] == [whole]
