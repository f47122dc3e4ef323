"""Why a customer has their scores and segment: metrics, cut-offs in effect, and the placing rule.

Everything is read from the snapshot, including the parameters stored with it,
so the explanation matches what was computed even if the config changed since.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from patron.errors import NotFoundError
from patron.money import format_money
from patron_rfm.currency import snapshot_currency
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
    #: The currency of ``metrics["monetary_minor"]`` (exact minor units, for machines);
    #: ``monetary`` and the monetary cut-offs are formatted with it for people.
    currency: str = "USD"

    @property
    def monetary(self) -> str:
        """The monetary value as people read it, e.g. ``$13,990.93``."""
        return format_money(self.metrics["monetary_minor"], self.currency)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (money exact in minor units, with its currency and formatted)."""
        return {**self.__dict__, "as_of": self.as_of.isoformat(), "monetary": self.monetary}


def _threshold_text(metric: str, cuts: list[int], show: Callable[[int], str] = str) -> list[str]:
    """The configured cut points as ``score: range`` texts, values shown with ``show``."""
    bounds = [f"< {show(cuts[0])}"] + [f"{show(a)}–{show(b - 1)}" for a, b in pairwise(cuts)] + [f"≥ {show(cuts[-1])}"]
    if metric == "recency_days":
        return [f"{5 - i}: {text}" for i, text in enumerate(bounds)]
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
    currency = snapshot_currency(session, snapshot)

    def show(metric: str) -> Callable[[int], str]:
        return (lambda minor: format_money(minor, currency)) if metric == "monetary_minor" else str

    if snapshot.method == "thresholds":
        cuts = params["thresholds"]
        shown = {m: _threshold_text(m, cuts[m], show(m)) for m in ("recency_days", "frequency", "monetary_minor")}
    else:
        shown = {
            metric: [f"{s}: {show(metric)(lo)}–{show(metric)(hi)}" for s, lo, hi in ranges]
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
        currency=currency,
    )
