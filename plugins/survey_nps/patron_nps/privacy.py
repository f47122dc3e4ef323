"""GDPR contributions: export a customer's answers and follow-ups; erase what identifies them.

Comments live in the answer's interaction payload, which the core's erasure
empties; scores stay in ``nps_answers`` without identity (like purchase
amounts), so earlier scores do not change. Follow-up notes are written about
the person and are erased here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from patron.models import Interaction
from patron_nps.models import NpsAnswer, NpsFollowup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def export(session: Session, customer_id: int) -> dict[str, Any] | None:
    """Every answer (with its comment) and follow-up about the customer, oldest first; None when none."""
    a, f = NpsAnswer, NpsFollowup
    answers = session.execute(
        select(a.interaction_id, a.survey, a.score, a.occurred_at, a.touchpoint, Interaction.payload)
        .join(Interaction, Interaction.id == a.interaction_id)
        .where(a.customer_id == customer_id)
        .order_by(a.occurred_at, a.interaction_id)
    ).all()
    followups = session.scalars(select(f).where(f.customer_id == customer_id).order_by(f.id)).all()
    if not answers and not followups:
        return None
    return {
        "answers": [
            {
                "interaction_id": r.interaction_id,
                "survey": r.survey,
                "score": r.score,
                "answered_at": r.occurred_at.isoformat(),
                "touchpoint": r.touchpoint,
                "comment": (r.payload or {}).get("comment"),
            }
            for r in answers
        ],
        "followups": [
            {
                "id": x.id,
                "survey": x.survey,
                "score": x.score,
                "opened_at": x.opened_at.isoformat(),
                "assignee": x.assignee,
                "closed_at": x.closed_at.isoformat() if x.closed_at else None,
                "note": x.note,
            }
            for x in followups
        ],
    }


def erase(session: Session, customer_id: int) -> None:
    """Blank the notes of the customer's follow-ups (idempotent); the core empties the comments."""
    session.execute(
        update(NpsFollowup)
        .where(NpsFollowup.customer_id == customer_id, NpsFollowup.note.is_not(None))
        .values(note=None)
    )
