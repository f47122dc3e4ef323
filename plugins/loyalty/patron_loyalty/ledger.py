"""The points ledger: append entries, open and consume lots, keep the account cache equal.

Every writer follows the same steps inside one transaction, after locking the
affected accounts (``lock_accounts``; accounts are created by step 3):

1. insert ledger entries tagged with a fresh ``batch`` token (set-based);
2. ``open_lots(batch)`` for positive entries and ``consume(batch)`` for negative ones;
3. ``apply_balances(batch)`` adds each customer's batch total to their account.

Consumption is oldest-expiring first and set-based: lots and debits of a
customer are laid out as consecutive intervals (running sums) and each use is
the overlap of a lot's interval with a debit's. A debit larger than the lots
(a clawback) leaves the excess uncovered: the balance goes negative and later
positive entries first absorb that debt. Hence, for every customer,
``sum(lots.remaining) == max(balance, 0)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, func, insert, literal, select, update
from sqlalchemy.orm import Session

from patron.models import UTCDateTime, utcnow
from patron.sql import dialect_insert, lock_rows, month_start_after, unindexed
from patron_loyalty.models import LedgerEntry, LoyaltyAccount, LoyaltyLot, LoyaltyLotUse

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import InstrumentedAttribute

    #: An ORM attribute (``Interaction.kind``) or any SQL column expression.
    ColumnExpression = ColumnElement[Any] | InstrumentedAttribute[Any]

KINDS = ("earn", "redeem", "expire", "adjust", "reverse")


@dataclass(frozen=True)
class Batch:
    """The entries one operation writes: a token, and the largest ledger id before them.

    Ledger ids only grow, so ``id > floor AND batch = token`` finds a batch by a
    primary-key range scan; the token column needs no index of its own.
    """

    token: str
    floor: int

    def entries(self) -> ColumnElement[bool]:
        """The WHERE clause selecting this batch's ledger entries."""
        return and_(LedgerEntry.id > self.floor, LedgerEntry.batch == self.token)


def new_batch(session: Session) -> Batch:
    """Start a batch: a fresh token and the current largest ledger id."""
    return Batch(uuid.uuid4().hex, int(session.scalar(select(func.max(LedgerEntry.id))) or 0))


def least(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The smaller of two values (portable LEAST)."""
    return case((a < b, a), else_=b)


def greatest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The larger of two values (portable GREATEST)."""
    return case((a > b, a), else_=b)


def _running(points: ColumnExpression, partition: Any, *order: Any) -> Any:
    return func.sum(points).over(partition_by=partition, order_by=order, rows=(None, 0))


def open_lots(session: Session, batch: Batch, expiry_months: int | None) -> None:
    """Open a lot for every positive entry of ``batch``, absorbing the customer's debt first.

    Call before ``apply_balances``: the debt is read from the account as it was
    before the batch. Points expire at the start of the month after the
    ``expiry_months``-th month following the entry (never when 0 or None).
    """
    pos = (
        select(
            LedgerEntry.id,
            LedgerEntry.customer_id,
            LedgerEntry.points,
            LedgerEntry.occurred_at,
            _running(LedgerEntry.points, LedgerEntry.customer_id, LedgerEntry.id).label("hi"),
        )
        .where(batch.entries(), LedgerEntry.points > 0)
        .subquery()
    )
    expires = (
        month_start_after(LedgerEntry.occurred_at, expiry_months + 1, session)
        if expiry_months
        else literal(None, UTCDateTime())
    )
    indebted = session.scalar(
        select(LoyaltyAccount.customer_id)
        .where(
            LoyaltyAccount.balance < 0,
            LoyaltyAccount.customer_id.in_(select(LedgerEntry.customer_id).where(batch.entries())),
        )
        .limit(1)
    )
    if indebted is None:
        # The usual case: nobody in the batch owes points, so every lot opens whole (no window needed).
        session.execute(
            insert(LoyaltyLot).from_select(
                ["id", "customer_id", "points", "remaining", "absorbed", "expires_at"],
                select(
                    LedgerEntry.id,
                    LedgerEntry.customer_id,
                    LedgerEntry.points,
                    LedgerEntry.points,
                    literal(0, BigInteger),
                    expires,
                ).where(batch.entries(), LedgerEntry.points > 0),
            )
        )
        return
    debt = case((LoyaltyAccount.balance < 0, -LoyaltyAccount.balance), else_=0)  # no account: no debt
    absorbed = greatest(literal(0, BigInteger), least(pos.c.points, debt - (pos.c.hi - pos.c.points)))
    expires = (
        month_start_after(pos.c.occurred_at, expiry_months + 1, session)
        if expiry_months
        else literal(None, UTCDateTime())
    )
    session.execute(
        insert(LoyaltyLot).from_select(
            ["id", "customer_id", "points", "remaining", "absorbed", "expires_at"],
            select(pos.c.id, pos.c.customer_id, pos.c.points, pos.c.points - absorbed, absorbed, expires).outerjoin(
                LoyaltyAccount, LoyaltyAccount.customer_id == pos.c.customer_id
            ),
        )
    )


def consume(session: Session, batch: Batch) -> None:
    """Record the lot uses of every negative entry of ``batch`` and take them off the lots.

    Expire entries use exactly the lot they name; every other debit takes the
    customer's lots oldest-expiring first (lots that never expire last).
    """
    debit = and_(batch.entries(), LedgerEntry.points < 0)
    session.execute(
        insert(LoyaltyLotUse).from_select(
            ["entry_id", "lot_id", "points"],
            select(LedgerEntry.id, LedgerEntry.lot_id, -LedgerEntry.points).where(debit, LedgerEntry.kind == "expire"),
        )
    )
    fifo = and_(debit, LedgerEntry.kind != "expire")
    # The batch's entries by primary-key range: partitioning in the customer index's order would read all of it.
    customer = unindexed(LedgerEntry.customer_id, session)
    debits = (
        select(
            LedgerEntry.id.label("entry_id"),
            customer.label("customer_id"),
            (-LedgerEntry.points).label("amount"),
            _running(-LedgerEntry.points, customer, LedgerEntry.id).label("hi"),
        )
        .where(fifo)
        .subquery()
    )
    never = case((LoyaltyLot.expires_at.is_(None), 1), else_=0)
    lots = (
        select(
            LoyaltyLot.id.label("lot_id"),
            LoyaltyLot.customer_id,
            LoyaltyLot.remaining,
            _running(LoyaltyLot.remaining, LoyaltyLot.customer_id, never, LoyaltyLot.expires_at, LoyaltyLot.id).label(
                "hi"
            ),
        )
        .where(LoyaltyLot.remaining > 0, LoyaltyLot.customer_id.in_(select(LedgerEntry.customer_id).where(fifo)))
        .subquery()
    )
    lot_lo, debit_lo = lots.c.hi - lots.c.remaining, debits.c.hi - debits.c.amount
    session.execute(
        insert(LoyaltyLotUse).from_select(
            ["entry_id", "lot_id", "points"],
            select(debits.c.entry_id, lots.c.lot_id, least(lots.c.hi, debits.c.hi) - greatest(lot_lo, debit_lo))
            .join(lots, lots.c.customer_id == debits.c.customer_id)
            .where(lot_lo < debits.c.hi, debit_lo < lots.c.hi),
        )
    )
    debits_of_batch = select(LedgerEntry.id).where(debit)
    used = (
        select(LoyaltyLotUse.lot_id, func.sum(LoyaltyLotUse.points).label("used"))
        .where(LoyaltyLotUse.entry_id.in_(debits_of_batch))
        .group_by(LoyaltyLotUse.lot_id)
        .subquery()
    )
    session.execute(
        update(LoyaltyLot).where(LoyaltyLot.id == used.c.lot_id).values(remaining=LoyaltyLot.remaining - used.c.used)
    )


def apply_balances(session: Session, batch: Batch) -> None:
    """Add each customer's total of ``batch`` to their cached balance, creating missing accounts (one upsert)."""
    # The batch's entries by primary-key range, then grouped: grouping in the customer index's order reads all of it.
    customer = unindexed(LedgerEntry.customer_id, session)
    totals = (
        select(customer, func.sum(LedgerEntry.points), literal(utcnow(), UTCDateTime()))
        .where(batch.entries())
        .group_by(customer)
    )
    table = LoyaltyAccount.__table__
    stmt = dialect_insert(LoyaltyAccount, session).from_select(["customer_id", "balance", "updated_at"], totals)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={"balance": table.c.balance + stmt.excluded.balance, "updated_at": stmt.excluded.updated_at},
        )
    )


def lock_accounts(session: Session, customer_ids: Select[Any]) -> None:
    """Lock the existing account rows of the customers ``customer_ids`` selects, in id order.

    Every writer (earning, redemption, expiry) locks first, so writers serialise
    per customer without deadlocking (``patron.sql.lock_rows``: FOR UPDATE on
    PostgreSQL; SQLite writers already hold the database lock). A customer
    without an account has no lots, so there is nothing to race on.
    """
    lock_rows(
        session,
        select(LoyaltyAccount.customer_id)
        .where(LoyaltyAccount.customer_id.in_(customer_ids))
        .order_by(LoyaltyAccount.customer_id),
    )


def balance(session: Session, customer_id: int) -> int:
    """The cached balance of one customer (0 without an account)."""
    return int(session.scalar(select(LoyaltyAccount.balance).where(LoyaltyAccount.customer_id == customer_id)) or 0)


@dataclass(frozen=True)
class Problem:
    """One broken invariant found by ``check``."""

    rule: str
    customer_id: int | None
    detail: str


def check(session: Session) -> list[Problem]:
    """Verify every invariant of the ledger set-wise; return the violations (empty: all good)."""
    problems: list[Problem] = []
    sums = (
        select(LedgerEntry.customer_id, func.sum(LedgerEntry.points).label("total"))
        .group_by(LedgerEntry.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(LoyaltyAccount.customer_id, LoyaltyAccount.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.customer_id == LoyaltyAccount.customer_id)
        .where(LoyaltyAccount.balance != func.coalesce(sums.c.total, 0))
    )
    problems += [Problem("balance = sum of ledger", c, f"account {b}, ledger {t}") for c, b, t in rows]
    orphans = session.execute(
        select(sums.c.customer_id, sums.c.total)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == sums.c.customer_id)
        .where(LoyaltyAccount.customer_id.is_(None))
    )
    problems += [Problem("every ledger customer has an account", c, f"ledger {t}") for c, t in orphans]
    uses = (
        select(LoyaltyLotUse.lot_id, func.sum(LoyaltyLotUse.points).label("used"))
        .group_by(LoyaltyLotUse.lot_id)
        .subquery()
    )
    used = func.coalesce(uses.c.used, 0)
    rows = session.execute(
        select(
            LoyaltyLot.customer_id, LoyaltyLot.id, LoyaltyLot.points, LoyaltyLot.remaining, LoyaltyLot.absorbed, used
        )
        .outerjoin(uses, uses.c.lot_id == LoyaltyLot.id)
        .where(LoyaltyLot.points != LoyaltyLot.remaining + LoyaltyLot.absorbed + used)
    )
    problems += [
        Problem("lot points = remaining + absorbed + uses", c, f"lot {i}: {p} != {r} + {a} + {u}")
        for c, i, p, r, a, u in rows
    ]
    lot_sums = (
        select(LoyaltyLot.customer_id, func.sum(LoyaltyLot.remaining).label("remaining"))
        .group_by(LoyaltyLot.customer_id)
        .subquery()
    )
    positive = case((LoyaltyAccount.balance > 0, LoyaltyAccount.balance), else_=0)
    rows = session.execute(
        select(LoyaltyAccount.customer_id, LoyaltyAccount.balance, func.coalesce(lot_sums.c.remaining, 0))
        .outerjoin(lot_sums, lot_sums.c.customer_id == LoyaltyAccount.customer_id)
        .where(func.coalesce(lot_sums.c.remaining, 0) != positive)
    )
    problems += [Problem("open lots = positive balance", c, f"balance {b}, lots {r}") for c, b, r in rows]
    debit_uses = (
        select(
            LedgerEntry.customer_id,
            LedgerEntry.id,
            LedgerEntry.points,
            func.coalesce(func.sum(LoyaltyLotUse.points), 0),
        )
        .outerjoin(LoyaltyLotUse, LoyaltyLotUse.entry_id == LedgerEntry.id)
        .where(LedgerEntry.points < 0, LedgerEntry.kind != "reverse")
        .group_by(LedgerEntry.customer_id, LedgerEntry.id, LedgerEntry.points)
        .having(func.coalesce(func.sum(LoyaltyLotUse.points), 0) != -LedgerEntry.points)
    )
    problems += [
        Problem("a redemption, expiry or adjustment is fully covered by lots", c, f"entry {i}: {p} vs uses {u}")
        for c, i, p, u in session.execute(debit_uses)
    ]
    return problems
