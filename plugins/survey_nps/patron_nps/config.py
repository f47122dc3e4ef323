"""The survey plugin's settings, validated by the core from ``[plugins.nps]``.

Surveys are declared under ``[plugins.nps.surveys.<name>]``. The scale is fixed
by the survey type (NPS 0–10, CSAT 1–5, CES 1–7), so a survey names its type
and everything else has a default that fits it. Errors name the key at fault
(the core prefixes ``plugins.nps.``), e.g. ``plugins.nps.surveys.support.type``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SurveyType = Literal["nps", "csat", "ces"]
Period = Literal["month", "quarter", "year"]

#: Each type's fixed scale (lowest, highest).
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
#: Per type: the question, the two end labels and the follow-up threshold used when a survey sets none.
TYPE_DEFAULTS: dict[str, dict[str, object]] = {
    "nps": {
        "question": "How likely are you to recommend us to a friend or colleague?",
        "low_label": "Not at all likely",
        "high_label": "Extremely likely",
        "followup_at_or_below": 6,
    },
    "csat": {
        "question": "How satisfied were you with your experience?",
        "low_label": "Very dissatisfied",
        "high_label": "Very satisfied",
        "followup_at_or_below": 2,
    },
    "ces": {
        "question": "How easy was it to get what you needed?",
        "low_label": "Very difficult",
        "high_label": "Very easy",
        "followup_at_or_below": None,
    },
}
_SURVEY_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")


class SurveyConfig(BaseModel):
    """One survey (``[plugins.nps.surveys.<name>]``); only ``type`` is required."""

    model_config = ConfigDict(extra="forbid")

    type: SurveyType
    question: str = Field(default="", description="empty: the type's default question")
    low_label: str = Field(default="", description="label of the lowest score; empty: the type's default")
    high_label: str = Field(default="", description="label of the highest score; empty: the type's default")
    reask_days: int = Field(default=90, ge=0, description="a customer is not invited again within this many days")
    period: Period = Field(default="quarter", description="one answer per customer counts per period: the latest")
    followup_at_or_below: int | None = Field(
        default=None,
        description="scores at or below open a follow-up; absent: the type's default (NPS 6, CSAT 2, CES none)",
    )
    followups: bool = Field(default=True, description="false: answers of this survey never open a follow-up")

    @model_validator(mode="after")
    def _fill_type_defaults(self) -> SurveyConfig:
        defaults = TYPE_DEFAULTS[self.type]
        for key in ("question", "low_label", "high_label"):
            if not getattr(self, key).strip():
                setattr(self, key, defaults[key])
        if "followup_at_or_below" not in self.model_fields_set:
            self.followup_at_or_below = defaults["followup_at_or_below"]  # type: ignore[assignment]
        low, high = self.scale
        threshold = self.followup_at_or_below
        if threshold is not None and not low <= threshold < high:
            raise ValueError(
                f"followup_at_or_below = {threshold} is outside the {self.type.upper()} scale {low}–{high - 1} "
                f"(a follow-up for every answer makes no queue); use a score from {low} to {high - 1}, or null"
            )
        return self

    @property
    def followup_threshold(self) -> int | None:
        """Scores at or below this open a follow-up; None: none do."""
        return self.followup_at_or_below if self.followups else None

    @property
    def scale(self) -> tuple[int, int]:
        """The lowest and highest score of this survey's type."""
        return SCALES[self.type]


def _default_surveys() -> dict[str, SurveyConfig]:
    kinds: tuple[SurveyType, ...] = ("nps", "csat", "ces")
    return {kind: SurveyConfig(type=kind) for kind in kinds}


class NpsConfig(BaseModel):
    """Settings of the survey plugin (``[plugins.nps]``)."""

    model_config = ConfigDict(extra="forbid")

    surveys: dict[str, SurveyConfig] = Field(default_factory=_default_surveys)
    min_answers: int = Field(default=30, ge=1, description="below this many answers a score is not shown")
    confidence: float = Field(default=0.95, gt=0.5, lt=1, description="confidence level of every interval")
    followup_sla_days: int = Field(default=7, ge=1, description="an open follow-up older than this is overdue")
    link_max_age_days: int = Field(
        default=30, ge=1, le=365, description="an invitation's score links stop working this many days after sending"
    )
    invite_purpose: str = Field(
        default="surveys",
        min_length=1,
        max_length=64,
        description="the consent purpose a channel checks before sending an invitation",
    )
    invite_template: str = Field(
        default="nps_invite",
        min_length=1,
        description="the channel template of invitations (the plugin ships nps_invite; a template folder may override)",
    )

    @field_validator("surveys")
    @classmethod
    def _survey_names(cls, surveys: dict[str, SurveyConfig]) -> dict[str, SurveyConfig]:
        for name in surveys:
            if not _SURVEY_NAME.match(name):
                raise ValueError(
                    f"survey name {name!r} is not valid: use lower-case letters, digits, '_' and '-', "
                    "starting with a letter"
                )
        return surveys

    def survey(self, name: str) -> SurveyConfig:
        """The survey called ``name``; raise ``NotFoundError`` listing the configured ones."""
        from patron.errors import NotFoundError

        found = self.surveys.get(name)
        if found is None:
            raise NotFoundError(f"no survey {name!r}; configured: {self.names()} (see [plugins.nps.surveys])")
        return found

    def names(self) -> str:
        """The configured survey names, for messages."""
        return ", ".join(sorted(self.surveys)) or "none"
