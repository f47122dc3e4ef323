"""GDPR export and erasure of the loyalty data about one customer.

Erasure pseudonymises: ledger rows stay (the accounts and reports must still
add up) but free text that may identify the person — reasons, caller-chosen
idempotency keys, the acting user — is replaced. Amounts, dates and points stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, literal, select, update

from patron_loyalty.models import LedgerEntry, LoyaltyAccount, LoyaltyTier, LoyaltyTierChange

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ERASED = "[erased]"


def export(session: Session, customer_id: int) -> dict[str, Any] | None:
    """Everything the plugin holds about the customer, JSON-serialisable."""
    account = session.get(LoyaltyAccount, customer_id)
    entries = session.execute(
        select(
            LedgerEntry.id,
            LedgerEntry.kind,
            LedgerEntry.points,
            LedgerEntry.source,
            LedgerEntry.reason,
            LedgerEntry.occurred_at,
            LedgerEntry.interaction_id,
            LedgerEntry.idempotency_key,
        )
        .where(LedgerEntry.customer_id == customer_id)
        .order_by(LedgerEntry.id)
    ).all()
    tier = session.get(LoyaltyTier, customer_id)
    history = session.execute(
        select(
            LoyaltyTierChange.scheme,
            LoyaltyTierChange.from_tier,
            LoyaltyTierChange.to_tier,
            LoyaltyTierChange.changed_at,
            LoyaltyTierChange.reason,
        )
        .where(LoyaltyTierChange.customer_id == customer_id)
        .order_by(LoyaltyTierChange.id)
    ).all()
    if account is None and not entries and tier is None and not history:
        return None
    return {
        "balance": account.balance if account else 0,
        "tier": {"scheme": tier.scheme, "tier": tier.tier, "since": tier.since.isoformat()} if tier else None,
        "ledger": [
            {
                "id": i,
                "kind": k,
                "points": p,
                "source": s,
                "reason": r,
                "occurred_at": o.isoformat(),
                "interaction_id": n,
                "idempotency_key": key,
            }
            for i, k, p, s, r, o, n, key in entries
        ],
        "tier_history": [
            {"scheme": s, "from": f, "to": t, "changed_at": c.isoformat(), "reason": r} for s, f, t, c, r in history
        ],
    }


def erase(session: Session, customer_id: int) -> None:
    """Blank the free text of the customer's ledger entries; keep every row and amount (idempotent)."""
    session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.customer_id == customer_id, LedgerEntry.source == "admin")
        .values(reason=ERASED, actor=None, idempotency_key=literal("erased:") + cast(LedgerEntry.id, String))
    )
