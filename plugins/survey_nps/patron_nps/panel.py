"""The customer-360 panel: the customer's latest answers, with comment and follow-up state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from patron.contracts import Table
from patron.models import Interaction
from patron_nps.models import NpsAnswer, NpsFollowup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

LAST = 5


class SurveyPanel:
    """Up to five latest answers, newest first; None when the customer never answered."""

    name = "nps"
    title = "Surveys"

    def render(self, app: App, session: Session, customer_id: int) -> Table | None:
        a, f = NpsAnswer, NpsFollowup
        rows = session.execute(
            select(a.survey, a.occurred_at, a.score, a.touchpoint, Interaction.payload, f.id, f.closed_at, f.assignee)
            .join(Interaction, Interaction.id == a.interaction_id)
            .outerjoin(f, f.interaction_id == a.interaction_id)
            .where(a.customer_id == customer_id)
            .order_by(a.occurred_at.desc(), a.interaction_id.desc())
            .limit(LAST)
        ).all()
        if not rows:
            return None
        return Table(
            "answers",
            "Latest survey answers",
            ("survey", "answered", "score", "touchpoint", "comment", "follow_up"),
            [
                [
                    r.survey,
                    r.occurred_at.date().isoformat(),
                    r.score,
                    r.touchpoint or "",
                    (r.payload or {}).get("comment") or "",
                    _followup(r.id, r.closed_at, r.assignee),
                ]
                for r in rows
            ],
        )


def _followup(followup_id: int | None, closed_at: object, assignee: str | None) -> str:
    if followup_id is None:
        return ""
    if closed_at is not None:
        return f"#{followup_id} closed"
    return f"#{followup_id} open" + (f", assigned to {assignee}" if assignee else "")
