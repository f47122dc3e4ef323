"""The RFM plugin's settings, validated by the core from ``[plugins.rfm]``.

Every key has a default, so an absent section is valid. Segment presets and
threshold cut points are checked here, when the app starts, so a bad config
fails with the key that is wrong instead of producing odd segments later.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from patron.kinds import REFUND
from patron_rfm.segments import DEFAULT_PRESET, SegmentRule, validate_rules


class Thresholds(BaseModel):
    """Fixed cut points for the ``thresholds`` method: four strictly increasing numbers per metric.

    Frequency and monetary: score = 1 + the number of cut points ≤ the value.
    Recency (days, lower is better): score = 5 − the number of cut points ≤ the value.
    """

    model_config = ConfigDict(extra="forbid")

    recency_days: list[int] = Field(default_factory=lambda: [30, 90, 180, 365])
    frequency: list[int] = Field(default_factory=lambda: [2, 3, 5, 10])
    monetary_minor: list[int] = Field(default_factory=lambda: [5_000, 10_000, 25_000, 100_000])

    @field_validator("recency_days", "frequency", "monetary_minor")
    @classmethod
    def _four_increasing(cls, cuts: list[int]) -> list[int]:
        if len(cuts) != 4 or any(b <= a for a, b in pairwise(cuts)):
            raise ValueError(f"needs exactly 4 strictly increasing cut points (one per score boundary), got {cuts}")
        return cuts


class RfmConfig(BaseModel):
    """Settings of the RFM plugin (``[plugins.rfm]``)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["quantile", "thresholds"] = "quantile"
    window_days: int | None = Field(default=None, ge=1, description="None: all history before as_of")
    purchase_kinds: list[str] = Field(default_factory=lambda: ["purchase"], min_length=1)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    abc_a_percent: float = Field(default=80.0, gt=0, lt=100)
    abc_b_percent: float = Field(default=95.0, gt=0, le=100)
    segments: list[SegmentRule] = Field(default_factory=lambda: list(DEFAULT_PRESET))

    @field_validator("segments")
    @classmethod
    def _segments_cover_every_code_once(cls, rules: list[SegmentRule]) -> list[SegmentRule]:
        validate_rules(rules)
        return rules

    @model_validator(mode="after")
    def _consistent(self) -> RfmConfig:
        if self.abc_b_percent <= self.abc_a_percent:
            raise ValueError(
                f"abc_b_percent ({self.abc_b_percent}) must be greater than abc_a_percent ({self.abc_a_percent})"
            )
        if REFUND in self.purchase_kinds:
            raise ValueError(
                f"purchase_kinds lists {REFUND!r}: refunds are subtracted from monetary by the core "
                "convention (patron.kinds), never counted as purchases"
            )
        return self
