"""The customer-360 panel: balance, tier, next expiry and the latest entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from patron_loyalty.models import LedgerEntry, LoyaltyAccount, LoyaltyLot, LoyaltyTier

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


class LoyaltyPanel:
    """Points and tier of one customer."""

    name = "loyalty"
    title = "Loyalty"

    def render(self, app: App, session: Session, customer_id: int) -> Mapping[str, Any] | None:
        account = session.get(LoyaltyAccount, customer_id)
        tier = session.get(LoyaltyTier, customer_id)
        if account is None and tier is None:
            return None
        next_expiry = session.execute(
            select(LoyaltyLot.expires_at, func.sum(LoyaltyLot.remaining))
            .where(LoyaltyLot.customer_id == customer_id, LoyaltyLot.remaining > 0, LoyaltyLot.expires_at.is_not(None))
            .group_by(LoyaltyLot.expires_at)
            .order_by(LoyaltyLot.expires_at)
            .limit(1)
        ).first()
        entries = session.scalar(select(func.count()).where(LedgerEntry.customer_id == customer_id)) or 0
        return {
            "points": account.balance if account else 0,
            "tier": tier.tier if tier else None,
            "tier since": tier.since.date().isoformat() if tier and tier.since else None,
            "next expiry": (
                f"{next_expiry[1]} points on {next_expiry[0].date().isoformat()}"
                if next_expiry and next_expiry[0]
                else None
            ),
            "ledger entries": entries,
        }
