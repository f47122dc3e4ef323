"""The RFM code as a core ``ScoringModel``: other plugins and channels can rank customers by it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from patron_rfm.config import RfmConfig
from patron_rfm.scoring import scores_query
from patron_rfm.snapshots import window_for

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class RfmCodeModel:
    """Score = R×100 + F×10 + M (111 to 555), computed live with the configured method.

    RFM works in whole days, so ``as_of`` counts from the start of its UTC day;
    unlike ``patron rfm score`` nothing is stored.
    """

    name = "rfm:code"
    description = "The RFM code as a number (R×100 + F×10 + M, 111–555), computed as of a day."

    def __init__(self, config: RfmConfig) -> None:
        self.config = config

    def scores(self, session: Session, *, as_of: datetime) -> Select[Any]:
        window = window_for(session, self.config, as_of.date())
        rows = scores_query(window, self.config, session.get_bind().dialect.name).subquery("rfm")
        return select(rows.c.customer_id, (rows.c.r_score * 100 + rows.c.f_score * 10 + rows.c.m_score).label("score"))
