"""Earning, clawback and redemption read their own rows, not the history (SQLite plans; see patron_sdk.plans).

SQLite plans without statistics. Earning filtered a batch by its id range *and*
``kind IN ('purchase', ...)``, and SQLite chose the kind index: every purchase
ever stored, read again for each batch. Balances were grouped and clawbacks
partitioned per customer in the order of the ledger's customer index: the whole
ledger, read again for each batch. An import with loyalty on thus slowed down
batch after batch. ``patron.sql.unindexed`` keeps those terms out of index
selection; this test fails if a plan goes back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from patron_loyalty.redemption import redeem
from patron_loyalty.testing import problems
from patron_sdk.data import T0, customers, purchase, refund
from patron_sdk.plans import full_reads, sqlite_plans

pytestmark = pytest.mark.sqlite_only


def test_earning_clawback_and_redemption_read_only_their_rows(make_patron_app):
    app = make_patron_app(plugins=["loyalty"], config={"loyalty": {"first_purchase_bonus": 50}})
    shoppers = customers(app, 4)
    for n in range(40):  # some history, so that a whole-table read has something to read
        purchase(app, shoppers[n % 4], f"old{n}", 1000 + n, when=T0 - timedelta(days=n))
    with sqlite_plans(app) as plans:
        purchase(app, shoppers[0], "p1", 2500)
        refund(app, shoppers[0], "r1", "p1", 1000)
        redeem(app, shoppers[1], 5, "voucher")
    statements = " ".join(plan.statement for plan in plans)
    # Earning, clawback, lot consumption and balances all ran: the plans checked below are theirs.
    for table in ("loyalty_ledger", "loyalty_lots", "loyalty_lot_uses", "loyalty_accounts"):
        assert f"INSERT INTO {table}" in statements
    assert [str(read) for read in full_reads(plans)] == []
    assert problems(app) == []
