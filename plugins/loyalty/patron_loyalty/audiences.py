"""Audiences ``loyalty:tier:<tier>`` (current tier, any scheme) and ``loyalty:members``.

The family ``loyalty:tier`` answers for every tier audience in one query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from patron.contracts import Audience, AudienceFamily
from patron_loyalty.models import LoyaltyAccount, LoyaltyTier
from patron_loyalty.tiers import TIERS


def _in_tier(tier: str) -> Any:
    def query(session: Any) -> Select[Any]:
        return select(LoyaltyTier.customer_id).where(LoyaltyTier.tier == tier)

    return query


def audiences() -> list[Audience]:
    """One audience per built-in tier name, plus every customer with a points account."""
    found = [
        Audience(
            f"loyalty:tier:{tier}",
            f"Customers currently in the {tier.capitalize()} tier.",
            _in_tier(tier),
            label=f"{tier.capitalize()} tier",
        )
        for tier in TIERS
    ]
    found.append(
        Audience(
            "loyalty:members",
            "Customers with a loyalty points account.",
            lambda session: select(LoyaltyAccount.customer_id),
            label="Loyalty members",
        )
    )
    return found


def families() -> list[AudienceFamily]:
    """``loyalty:tier``: each customer with their current built-in tier, in one query."""

    def query(session: Any) -> Select[int, str]:
        return select(LoyaltyTier.customer_id, LoyaltyTier.tier.label("key")).where(LoyaltyTier.tier.in_(TIERS))

    return [AudienceFamily("loyalty:tier", "Customers by their current loyalty tier.", query)]
