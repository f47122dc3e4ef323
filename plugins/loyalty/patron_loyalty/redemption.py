"""Redemption and manual adjustment: debits that can never overdraw.

The balance check and the debit are one conditional UPDATE
(``balance = balance - p WHERE balance >= p``), never a read-modify-write in
Python. On PostgreSQL the account row is locked first (``FOR UPDATE``) so lot
consumption is serialised per customer; on SQLite the transaction starts with
``BEGIN IMMEDIATE``. Busy and serialization failures are retried with a bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, literal, select, update

from patron.errors import InputError, PatronError
from patron.ingest import audit, current_actor
from patron.models import Customer, Id, utcnow
from patron.sql import run_transaction
from patron_loyalty import ledger
from patron_loyalty.config import LoyaltyConfig
from patron_loyalty.expiry import expire_due
from patron_loyalty.models import LedgerEntry, LoyaltyAccount

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

ATTEMPTS = 8


class InsufficientPoints(PatronError):
    """A redemption or negative adjustment asked for more points than the balance holds (exit code 8)."""

    exit_code = 8


@dataclass(frozen=True)
class Posted:
    """A posted debit or credit: the entry id, its points and the balance after it."""

    entry_id: int
    points: int
    balance: int
    replayed: bool = False


def redeem(app: App, customer_id: int, points: int, reason: str, key: str | None = None) -> Posted:
    """Take ``points`` from the customer's balance, oldest-expiring lots first; refuse when short."""
    return _post(app, customer_id, -_positive(points), "redeem", reason, key)


def adjust(app: App, customer_id: int, points: int, reason: str, key: str | None = None) -> Posted:
    """Add (or, negative, take) points by hand; audited. A negative adjustment cannot overdraw."""
    if points == 0:
        raise InputError("adjust: POINTS must not be 0")
    return _post(app, customer_id, points, "adjust", reason, key)


def _positive(points: int) -> int:
    if points <= 0:
        raise InputError(f"redeem: POINTS must be a positive whole number, got {points}")
    return points


def _post(app: App, customer_id: int, points: int, kind: str, reason: str, key: str | None) -> Posted:
    if not reason or not reason.strip():
        raise InputError(f"{kind}: --reason is required and must not be empty")
    config = app.plugin_config("loyalty", LoyaltyConfig)
    for attempt in (1, 2):
        try:
            return run_transaction(
                app,
                lambda session: _post_in(session, config, customer_id, points, kind, reason.strip(), key),
                immediate=True,
                attempts=ATTEMPTS,
            )
        except sa_exc.IntegrityError:
            # Two writers raced with the same --key: the second run finds the first's entry and replays it.
            if attempt == 2 or key is None:
                raise
    raise AssertionError("unreachable")


def _post_in(
    session: Session, config: LoyaltyConfig, customer_id: int, points: int, kind: str, reason: str, key: str | None
) -> Posted:
    if session.get(Customer, customer_id) is None:
        from patron.errors import NotFoundError

        raise NotFoundError(f"no customer with id {customer_id}")
    if key is not None:
        found = session.execute(
            select(LedgerEntry.id, LedgerEntry.customer_id, LedgerEntry.kind, LedgerEntry.points).where(
                LedgerEntry.idempotency_key == f"{kind}:{key}"
            )
        ).first()
        if found is not None:
            if (found.customer_id, found.kind, found.points) != (customer_id, kind, points):
                raise InputError(f"--key {key!r} was already used for another {kind} (entry {found.id}); use a new key")
            return Posted(found.id, points, ledger.balance(session, customer_id), replayed=True)
    now = utcnow()
    ledger.lock_accounts(session, select(literal(customer_id, Id)))
    expire_due(session, now, customer_ids=[customer_id])
    batch = ledger.new_batch(session)
    if points < 0:
        taken = session.execute(
            update(LoyaltyAccount)
            .where(LoyaltyAccount.customer_id == customer_id, LoyaltyAccount.balance >= -points)
            .values(balance=LoyaltyAccount.balance + points, updated_at=now)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            have = ledger.balance(session, customer_id)
            raise InsufficientPoints(
                f"insufficient points: customer {customer_id} has {have} points, cannot {kind} {-points}"
                + (
                    "; the balance is negative after a refund clawback and must be positive again first"
                    if have < 0
                    else ""
                )
            )
    entry_id = session.execute(
        insert(LedgerEntry)
        .values(
            customer_id=customer_id,
            kind=kind,
            points=points,
            source="admin",
            idempotency_key=f"{kind}:{key}" if key is not None else f"{kind}:{batch.token}",
            reason=reason,
            actor=current_actor(),
            batch=batch.token,
            occurred_at=now,
            recorded_at=now,
        )
        .returning(LedgerEntry.id)
    ).scalar_one()
    if points < 0:
        ledger.consume(session, batch)
    else:
        ledger.open_lots(session, batch, config.expiry_months)
        ledger.apply_balances(session, batch)
    if kind == "adjust":
        audit(session, "loyalty.adjust", "customer", customer_id, {"points": points, "entry_id": entry_id})
    return Posted(entry_id, points, ledger.balance(session, customer_id))
