"""GDPR contributions: export a customer's CLV rows; erase them.

Predictions about a person are profiling data: erasure deletes the customer's
rows from every fit (the fits' customer counts and parameters, which describe
the population, are kept), and later fits skip erased customers (see ``summary``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from patron_clv.models import ClvFit, ClvScore

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def export(session: Session, customer_id: int) -> dict[str, Any] | None:
    """Every fit's row about the customer, oldest first; None when there is none."""
    rows = session.execute(
        select(ClvFit.calibration_end, ClvFit.unit, ClvFit.currency, ClvScore)
        .join(ClvFit, ClvFit.id == ClvScore.fit_id)
        .where(ClvScore.customer_id == customer_id)
        .order_by(ClvFit.calibration_end)
    ).all()
    if not rows:
        return None
    return {
        "fits": [
            {
                "calibration_end": end.isoformat(),
                "unit": unit,
                "currency": currency,
                "frequency": s.frequency,
                "recency": s.recency,
                "T": s.tenure,
                "mean_value_minor": s.mean_value_minor,
                "total_value_minor": s.total_value_minor,
                "p_alive": s.p_alive,
                "expected_purchases": s.expected_purchases,
                "expected_spend_minor": s.expected_spend_minor,
                "clv_minor": s.clv_minor,
                "clv_rank": s.clv_rank,
            }
            for end, unit, currency, s in rows
        ]
    }


def erase(session: Session, customer_id: int) -> None:
    """Delete the customer's rows from every fit (idempotent)."""
    session.execute(delete(ClvScore).where(ClvScore.customer_id == customer_id))
