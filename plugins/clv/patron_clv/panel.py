"""The customer-360 panel: the customer's CLV, P(alive) and summary in the latest fit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from patron.money import Money
from patron_clv.models import ClvFit, ClvScore

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


class ClvPanel:
    """CLV, rank, P(alive), expected purchases and spend; None when the customer is not in the latest fit."""

    name = "clv"
    title = "Customer lifetime value"

    def render(self, app: App, session: Session, customer_id: int) -> Mapping[str, Any] | None:
        latest = session.scalar(select(ClvFit).order_by(ClvFit.calibration_end.desc()).limit(1))
        if latest is None:
            return None
        row = session.get(ClvScore, (latest.id, customer_id))
        if row is None:
            return None
        money = _money(latest.currency)
        return {
            "calibration_end": latest.calibration_end.isoformat(),
            "clv": money(row.clv_minor),
            "clv_rank": f"{row.clv_rank} of {latest.customers}",
            "p_alive": round(row.p_alive, 4),
            f"expected_purchases_{latest.horizon_months}m": round(row.expected_purchases, 3),
            "expected_spend_per_purchase": money(row.expected_spend_minor),
            "frequency": row.frequency,
            f"recency_{latest.unit}s": round(row.recency, 2),
            f"T_{latest.unit}s": round(row.tenure, 2),
        }


def _money(currency: str | None) -> Callable[[float], Money | str]:
    """Minor units (a float: an expectation) → a ``Money`` rounded half-even to the minor unit.

    Without a currency (the purchases named none) the amount is shown in major units with that said.
    """
    if currency:
        return lambda minor: Money.rounded(minor, currency)
    return lambda minor: f"{minor / 100:,.2f} (no currency)"
