"""GDPR contributions: export a customer's RFM history; erase it.

Scores and segments are profiling data about a person, so erasure deletes the
customer's rows from every snapshot (snapshot counts keep their original
value), and later scoring runs skip erased customers (see ``metrics``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, select

from patron_rfm.models import RfmScore, RfmSnapshot

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session


def export(session: Session, customer_id: int) -> dict[str, Any] | None:
    """Every snapshot row about the customer, oldest first; None when there is none."""
    rows = session.execute(
        select(RfmSnapshot.as_of, RfmScore)
        .join(RfmSnapshot, RfmSnapshot.id == RfmScore.snapshot_id)
        .where(_of_customer(customer_id))
        .order_by(RfmSnapshot.as_of)
    ).all()
    if not rows:
        return None
    return {
        "snapshots": [
            {
                "as_of": as_of.isoformat(),
                "recency_days": s.recency_days,
                "frequency": s.frequency,
                "monetary_minor": s.monetary_minor,
                "r_score": s.r_score,
                "f_score": s.f_score,
                "m_score": s.m_score,
                "segment": s.segment,
                "tier": s.tier,
            }
            for as_of, s in rows
        ]
    }


def erase(session: Session, customer_id: int) -> None:
    """Delete the customer's rows from every snapshot (idempotent)."""
    session.execute(delete(RfmScore).where(_of_customer(customer_id)))


def _of_customer(customer_id: int) -> ColumnElement[bool]:
    """The customer's rows, found through the primary key: one probe per snapshot.

    ``rfm_scores`` has no index on ``customer_id`` alone (it would cost every
    snapshot write); naming the snapshots lets both engines probe the
    ``(snapshot_id, customer_id)`` key once per snapshot instead of scanning.
    """
    return and_(RfmScore.snapshot_id.in_(select(RfmSnapshot.id)), RfmScore.customer_id == customer_id)
