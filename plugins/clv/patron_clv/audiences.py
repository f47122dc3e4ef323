"""Audiences over the latest fit: the most valuable customers and the win-back list.

- ``clv:top-decile``: the 10 % of customers with the highest CLV (by the stored
  rank, ties broken by customer id, so the set is deterministic).
- ``clv:at-risk``: valuable customers who are probably gone: P(alive) below
  ``at_risk_p_alive`` and past net value in the top ``at_risk_value_share``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from patron.contracts import Audience
from patron_clv.models import ClvFit, ClvScore
from patron_clv.snapshots import plugin_config

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


def _latest() -> Any:
    return select(ClvFit.id).order_by(ClvFit.calibration_end.desc()).limit(1).scalar_subquery()


def _top_decile(session: Session) -> Select[Any]:
    customers = select(ClvFit.customers).where(ClvFit.id == _latest()).scalar_subquery()
    return select(ClvScore.customer_id).where(ClvScore.fit_id == _latest(), ClvScore.clv_rank * 10 <= customers + 9)


def at_risk_query(p_alive_below: float, value_share: float) -> Any:
    """The at-risk query for explicit thresholds (the audience uses the configured ones)."""

    def query(session: Session) -> Select[Any]:
        ranked = (
            select(
                ClvScore.customer_id,
                ClvScore.p_alive,
                func.row_number()
                .over(order_by=(ClvScore.total_value_minor.desc(), ClvScore.customer_id))
                .label("value_rank"),
                func.count().over().label("n"),
            )
            .where(ClvScore.fit_id == _latest())
            .subquery("ranked")
        )
        return select(ranked.c.customer_id).where(
            ranked.c.p_alive < p_alive_below, ranked.c.value_rank <= ranked.c.n * value_share
        )

    return query


def audiences(app: App) -> list[Audience]:
    """The plugin's audiences, with the thresholds of the current config."""
    config = plugin_config(app)
    return [
        Audience(
            "clv:top-decile",
            "The 10 % of customers with the highest CLV in the latest fit.",
            _top_decile,
            label="Top 10 % by CLV",
        ),
        Audience(
            "clv:at-risk",
            f"Win-back list: P(alive) below {config.at_risk_p_alive} among the top "
            f"{config.at_risk_value_share:.0%} by past net value, in the latest fit.",
            at_risk_query(config.at_risk_p_alive, config.at_risk_value_share),
            label="At risk (win-back)",
        ),
    ]
