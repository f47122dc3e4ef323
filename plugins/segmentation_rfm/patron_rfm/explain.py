"""Why a customer has their scores and segment: metrics, cut-offs in effect, and the placing rule.

Everything is read from the snapshot, including the parameters stored with it,
so the explanation matches what was computed even if the config changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from patron.errors import NotFoundError
from patron_rfm.models import RfmScore
from patron_rfm.segments import SegmentRule, validate_rules
from patron_rfm.snapshots import cutoffs, find_snapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Explanation:
    """The full answer for one customer in one snapshot."""

    customer_id: int
    external_id: str
    as_of: date
    method: str
    metrics: dict[str, int]
    scores: dict[str, int]
    code: str
    segment: str
    segment_label: str
    rule: str
    rule_number: int
    tier: str
    cutoffs: dict[str, list[str]]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form."""
        return {**self.__dict__, "as_of": self.as_of.isoformat()}


def _threshold_text(metric: str, cuts: list[int]) -> list[str]:
    if metric == "recency_days":
        bounds = [f"< {cuts[0]}"] + [f"{a}–{b - 1}" for a, b in pairwise(cuts)] + [f"≥ {cuts[-1]}"]
        return [f"{5 - i}: {text}" for i, text in enumerate(bounds)]
    bounds = [f"< {cuts[0]}"] + [f"{a}–{b - 1}" for a, b in pairwise(cuts)] + [f"≥ {cuts[-1]}"]
    return [f"{i + 1}: {text}" for i, text in enumerate(bounds)]


def explain(session: Session, customer_id: int, external_id: str, as_of: date | None = None) -> Explanation:
    """Explain customer ``customer_id`` in the snapshot of ``as_of`` (default: the latest).

    The CLI resolves the customer through ``patron.cli_options.customer_argument``.
    """
    snapshot = find_snapshot(session, as_of)
    row = session.get(RfmScore, (snapshot.id, customer_id))
    if row is None:
        raise NotFoundError(
            f"customer {external_id!r} is not in the RFM snapshot of {snapshot.as_of.isoformat()}: "
            "they had no purchase in the scoring window (or were erased)"
        )
    params = snapshot.params
    rules = [SegmentRule.model_validate(r) for r in params["segments"]]
    code = f"{row.r_score}{row.f_score}{row.m_score}"
    placement = validate_rules(rules)[code]
    if snapshot.method == "thresholds":
        cuts = params["thresholds"]
        shown = {m: _threshold_text(m, cuts[m]) for m in ("recency_days", "frequency", "monetary_minor")}
    else:
        shown = {
            metric: [f"{s}: {lo}–{hi}" for s, lo, hi in ranges]
            for metric, ranges in cutoffs(session, snapshot.id).items()
        }
    return Explanation(
        customer_id=customer_id,
        external_id=external_id,
        as_of=snapshot.as_of,
        method=snapshot.method,
        metrics={"recency_days": row.recency_days, "frequency": row.frequency, "monetary_minor": row.monetary_minor},
        scores={"r": row.r_score, "f": row.f_score, "m": row.m_score},
        code=code,
        segment=row.segment,
        segment_label=placement.segment,
        rule=rules[placement.rule_index].describe(),
        rule_number=placement.rule_index + 1,
        tier=row.tier,
        cutoffs=shown,
    )
