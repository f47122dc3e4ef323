"""Audiences ``loyalty:tier:<tier>`` (current tier, any scheme) and ``loyalty:members``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from patron.contracts import Audience
from patron_loyalty.models import LoyaltyAccount, LoyaltyTier
from patron_loyalty.tiers import TIERS


def _in_tier(tier: str) -> Any:
    def query(session: Any) -> Select[Any]:
        return select(LoyaltyTier.customer_id).where(LoyaltyTier.tier == tier)

    return query


def audiences() -> list[Audience]:
    """One audience per built-in tier name, plus every customer with a points account."""
    found = [
        Audience(f"loyalty:tier:{tier}", f"Customers currently in the {tier.capitalize()} tier.", _in_tier(tier))
        for tier in TIERS
    ]
    found.append(
        Audience(
            "loyalty:members",
            "Customers with a loyalty points account.",
            lambda session: select(LoyaltyAccount.customer_id),
        )
    )
    return found
