"""The loyalty plugin's settings, validated by the core from ``[plugins.loyalty]``.

Every key has a default, so an absent section is valid; the README lists them.
Multipliers are decimals; points are computed in the database (see ``earning``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from patron.contracts import NAME_PATTERN
from patron.kinds import REFUND
from patron.money import is_currency

DowngradePolicyName = Literal["never", "immediate", "one_step", "grace_days"]


class Downgrade(BaseModel):
    """How a customer who no longer qualifies for their tier moves down."""

    model_config = ConfigDict(extra="forbid")

    policy: DowngradePolicyName = "grace_days"
    grace_days: int = Field(default=90, ge=0, le=3660)


DEFAULT_DOWNGRADE = {
    "classic": Downgrade(policy="grace_days", grace_days=90),
    "frequency": Downgrade(policy="one_step"),
}


class Thresholds(BaseModel):
    """Minimum qualifying value for each tier above ``regular`` (strictly increasing)."""

    model_config = ConfigDict(extra="forbid")

    silver: int = Field(ge=1)
    gold: int = Field(ge=1)
    diamond: int = Field(ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> Thresholds:
        if not self.silver < self.gold < self.diamond:
            raise ValueError(
                f"thresholds must increase: silver ({self.silver}) < gold ({self.gold}) < diamond ({self.diamond})"
            )
        return self


class LoyaltyConfig(BaseModel):
    """Settings of the loyalty plugin."""

    model_config = ConfigDict(extra="forbid")

    # -- earning -------------------------------------------------------------
    earn_kinds: list[str] = Field(default_factory=lambda: ["purchase"], min_length=1)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    minor_per_unit: int = Field(default=100, ge=1)
    points_per_unit: Decimal = Field(default=Decimal(1), ge=0)
    rounding: Literal["floor", "ceil", "half_up"] = "floor"
    kind_multipliers: dict[str, Decimal] = Field(default_factory=dict)
    channel_multipliers: dict[str, Decimal] = Field(default_factory=dict)
    tier_multipliers: dict[str, Decimal] = Field(default_factory=dict)
    first_purchase_bonus: int = Field(default=0, ge=0)
    # -- expiry --------------------------------------------------------------
    expiry_months: int = Field(default=24, ge=0, le=600, description="0: points never expire")
    # -- tiers ---------------------------------------------------------------
    tier_scheme: str = "classic"
    classic_thresholds: Thresholds = Field(
        default_factory=lambda: Thresholds(silver=50_000, gold=200_000, diamond=500_000)
    )
    frequency_thresholds: Thresholds = Field(default_factory=lambda: Thresholds(silver=4, gold=12, diamond=30))
    downgrade: dict[str, Downgrade] = Field(default_factory=dict)
    # -- reports ---------------------------------------------------------------
    point_value_minor: Decimal = Field(default=Decimal(1), ge=0)
    #: None: the currency the points were earned in (``currency`` when set, else the purchases').
    point_value_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")

    @model_validator(mode="after")
    def _check(self) -> LoyaltyConfig:
        for key in ("kind_multipliers", "channel_multipliers", "tier_multipliers"):
            for name, value in getattr(self, key).items():
                if value < 0:
                    raise ValueError(f"{key}.{name} is {value}; multipliers must be 0 or more")
        if REFUND in self.earn_kinds:
            raise ValueError(f"earn_kinds lists {REFUND!r}: refunds claw points back (patron.kinds), they never earn")
        for key in ("currency", "point_value_currency"):
            code = getattr(self, key)
            if code is not None and not is_currency(code):
                raise ValueError(f"{key} {code!r} is not an ISO 4217 currency code")
        if not NAME_PATTERN.match(self.tier_scheme):
            raise ValueError(f"tier_scheme {self.tier_scheme!r} is not a valid scheme name")
        return self

    def downgrade_for(self, scheme: str) -> Downgrade:
        """The downgrade policy of ``scheme``: configured, else the built-in default, else ``immediate``."""
        return self.downgrade.get(scheme) or DEFAULT_DOWNGRADE.get(scheme) or Downgrade(policy="immediate")
