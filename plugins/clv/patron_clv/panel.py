"""The customer-360 panel: the customer's CLV, P(alive) and summary in the latest fit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

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
        return {
            "calibration_end": latest.calibration_end.isoformat(),
            "currency": latest.currency,
            "clv_minor": round(row.clv_minor, 2),
            "clv_rank": f"{row.clv_rank} of {latest.customers}",
            "p_alive": round(row.p_alive, 4),
            f"expected_purchases_{latest.horizon_months}m": round(row.expected_purchases, 3),
            "expected_spend_minor": round(row.expected_spend_minor, 2),
            "frequency": row.frequency,
            f"recency_{latest.unit}s": round(row.recency, 2),
            f"T_{latest.unit}s": round(row.tenure, 2),
        }
