"""The CLV plugin's settings, validated by the core from ``[plugins.clv]``.

Every key has a default, so an absent section is valid; README.md lists each
key with its default (a test checks that it does).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Days per time unit of the models' clock.
UNIT_DAYS = {"day": 1, "week": 7}


class ClvConfig(BaseModel):
    """Settings of the CLV plugin (``[plugins.clv]``)."""

    model_config = ConfigDict(extra="forbid")

    unit: Literal["day", "week"] = Field(
        default="week", description="The models' clock: recency, T and the horizon are counted in this unit."
    )
    horizon_months: int = Field(
        default=12, ge=1, le=600, description="CLV and expected purchases cover this many months."
    )
    monthly_discount_rate: float = Field(
        default=0.01, ge=0, lt=1, description="Discount rate per month for the discounted cash flow of CLV."
    )
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        description="Only purchases in this currency count; None: the data must hold a single currency.",
    )
    penalizer: float = Field(
        default=0.0, ge=0, description="L2 penalty on the parameters (lifetimes' penalizer_coef); 0: plain ML."
    )
    at_risk_p_alive: float = Field(
        default=0.5, gt=0, lt=1, description="clv:at-risk takes customers whose P(alive) is below this."
    )
    at_risk_value_share: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="clv:at-risk takes customers in this top share of past net value (0.2: the top 20 %).",
    )
