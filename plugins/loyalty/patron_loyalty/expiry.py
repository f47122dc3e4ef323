"""Expiry: write an expire entry for the unconsumed remainder of every lot past its expiry.

Each expire entry's key is ``expire:<lot id>`` and the lot's remainder drops to
zero, so running expiry twice (or concurrently) changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, func, literal, select

from patron.models import utcnow
from patron.sql import insert_ignore, run_transaction
from patron_loyalty import ledger
from patron_loyalty.models import LedgerEntry, LoyaltyLot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


def expire_due(session: Session, as_of: datetime, customer_ids: Sequence[int] | None = None) -> int:
    """Expire every lot with ``expires_at <= as_of`` (of ``customer_ids`` only, when given); return the count."""
    due = [LoyaltyLot.remaining > 0, LoyaltyLot.expires_at <= as_of]
    if customer_ids is not None:
        due.append(LoyaltyLot.customer_id.in_(list(customer_ids)))
    else:
        ledger.lock_accounts(session, select(LoyaltyLot.customer_id).where(*due))
    batch = ledger.new_batch(session)
    rows = select(
        LoyaltyLot.customer_id,
        literal("expire"),
        -LoyaltyLot.remaining,
        literal("job"),
        LoyaltyLot.id,
        literal("expire:") + cast(LoyaltyLot.id, String),
        literal(batch.token),
        LoyaltyLot.expires_at,
        literal(utcnow(), LedgerEntry.recorded_at.type),
    ).where(*due)
    columns = ["customer_id", "kind", "points", "source", "lot_id", "idempotency_key", "batch", "occurred_at"]
    ignore = insert_ignore(LedgerEntry, session, index_elements=["idempotency_key"])
    session.execute(ignore.from_select([*columns, "recorded_at"], rows))
    count = int(session.scalar(select(func.count()).where(batch.entries())) or 0)
    if count:
        ledger.consume(session, batch)
        ledger.apply_balances(session, batch)
    return count


def expire(app: App, as_of: datetime | None = None) -> int:
    """Run expiry as of ``as_of`` (default now) in one retried write transaction; return entries written."""
    when = as_of or utcnow()
    return run_transaction(app, lambda session: expire_due(session, when), immediate=True)
