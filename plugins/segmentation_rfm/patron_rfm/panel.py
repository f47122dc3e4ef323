"""The customer-360 panel: the customer's scores, segment and tier in the latest snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from patron_rfm.currency import money_cell, snapshot_currency
from patron_rfm.labels import stored_segment_labels
from patron_rfm.models import RfmScore, RfmSnapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


class RfmPanel:
    """RFM code, segment, ABC tier and metrics; None when the customer is not in the latest snapshot."""

    name = "rfm"
    title = "RFM"

    def render(self, app: App, session: Session, customer_id: int) -> Mapping[str, Any] | None:
        latest = session.scalar(select(RfmSnapshot).order_by(RfmSnapshot.as_of.desc()).limit(1))
        if latest is None:
            return None
        row = session.get(RfmScore, (latest.id, customer_id))
        if row is None:
            return None
        labels = stored_segment_labels(latest.params["segments"])  # validated when the snapshot was stored
        return {
            "as_of": latest.as_of.isoformat(),
            "rfm": f"{row.r_score}{row.f_score}{row.m_score}",
            "segment": labels.get(row.segment, row.segment),
            "tier": row.tier,
            "recency_days": row.recency_days,
            "frequency": row.frequency,
            "monetary": money_cell(row.monetary_minor, snapshot_currency(session, latest)),
        }
