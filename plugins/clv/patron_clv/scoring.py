"""``clv:value`` and ``clv:p_alive`` as core ``ScoringModel``s, read from the stored fits.

The models cannot be evaluated in SQL (expected purchases need the Gauss
hypergeometric function), so a score is read from the fit whose calibration
period ended at or before ``as_of``: the latest fit that used no data from
after ``as_of``. Without such a fit a model scores nobody.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from patron_clv.models import ClvFit, ClvScore

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def fit_as_of(as_of: datetime) -> Any:
    """Scalar subquery: the id of the latest fit whose calibration end (midnight UTC) is not after ``as_of``."""
    return (
        select(ClvFit.id)
        .where(ClvFit.calibration_end <= as_of.date())
        .order_by(ClvFit.calibration_end.desc())
        .limit(1)
        .scalar_subquery()
    )


class StoredScore:
    """A column of ``clv_scores`` as a score, from the fit in effect at ``as_of``."""

    def __init__(self, name: str, description: str, column: Any) -> None:
        self.name = name
        self.description = description
        self.column = column

    def scores(self, session: Session, *, as_of: datetime) -> Select[Any]:
        return select(ClvScore.customer_id, self.column.label("score")).where(ClvScore.fit_id == fit_as_of(as_of))


def scoring_models() -> list[StoredScore]:
    """The plugin's scoring models."""
    return [
        StoredScore(
            "clv:value",
            "Discounted customer lifetime value over the configured horizon, in minor units (latest fit before as_of).",
            ClvScore.clv_minor,
        ),
        StoredScore(
            "clv:p_alive",
            "Probability (0–1) that the customer is still active, BG/NBD (latest fit before as_of).",
            ClvScore.p_alive,
        ),
    ]
