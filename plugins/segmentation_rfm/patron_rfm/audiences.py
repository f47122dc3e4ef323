"""Audiences: every segment and every ABC tier of the latest snapshot.

Names: ``rfm:segment:<segment>`` (e.g. ``rfm:segment:champions``) and
``rfm:tier:<a-d>`` (lower case: the core's name rule allows no capitals, so
tier A is ``rfm:tier:a``). Each query reads the snapshot with the latest as-of date at
the moment it runs, so a campaign always targets the current scoring.

Families ``rfm:segment`` and ``rfm:tier`` answer for all of them in one query
(``customer_id``, ``key``), for reports that group by segment or tier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ScalarSelect, Select, func, select

from patron.contracts import Audience, AudienceFamily
from patron_rfm.abc import TIERS
from patron_rfm.models import RfmScore, RfmSnapshot
from patron_rfm.segments import DEFAULT_PRESET, SegmentRule, segment_names

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _latest() -> ScalarSelect[Any]:
    return select(RfmSnapshot.id).order_by(RfmSnapshot.as_of.desc()).limit(1).scalar_subquery()


def _members(column: Any, value: str) -> Callable[[Session], Select[Any]]:
    def query(session: Session) -> Select[Any]:
        return select(RfmScore.customer_id).where(RfmScore.snapshot_id == _latest(), column == value)

    return query


def audiences(rules: Sequence[SegmentRule] = DEFAULT_PRESET) -> list[Audience]:
    """One audience per segment of ``rules`` (the configured preset) and per ABC tier."""
    found = [segment_audience(slug, label) for slug, label in segment_names(rules)]
    found += [
        Audience(
            f"rfm:tier:{tier.lower()}",
            f"Customers in ABC tier {tier} in the latest RFM snapshot.",
            _members(RfmScore.tier, tier),
            label=f"Tier {tier}",
        )
        for tier in TIERS
    ]
    return found


def segment_audience(slug: str, label: str | None = None) -> Audience:
    """The audience of one segment (by machine name) in the latest snapshot."""
    return Audience(
        f"rfm:segment:{slug}",
        f"Customers in RFM segment {label or slug} in the latest snapshot.",
        _members(RfmScore.segment, slug),
        label=label or "",
    )


def families(rules: Sequence[SegmentRule] = DEFAULT_PRESET) -> list[AudienceFamily]:
    """``rfm:segment`` and ``rfm:tier``: the audiences above, each family in one query."""
    slugs = [slug for slug, _ in segment_names(rules)]

    def segments(session: Session) -> Select[int, str]:
        return select(RfmScore.customer_id, RfmScore.segment.label("key")).where(
            RfmScore.snapshot_id == _latest(), RfmScore.segment.in_(slugs)
        )

    def tiers(session: Session) -> Select[int, str]:
        return select(RfmScore.customer_id, func.lower(RfmScore.tier).label("key")).where(
            RfmScore.snapshot_id == _latest(), RfmScore.tier.in_(TIERS)
        )

    return [
        AudienceFamily("rfm:segment", "Customers by RFM segment in the latest snapshot.", segments),
        AudienceFamily("rfm:tier", "Customers by ABC tier in the latest RFM snapshot.", tiers),
    ]
