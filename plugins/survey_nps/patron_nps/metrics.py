"""Each survey type's headline score and comparison, chosen once here for every report.

- NPS: the Net Promoter Score (points, −100 to 100); differences in points.
- CSAT: the share of 4–5 (percent); differences in percentage points.
- CES: the mean score (1–7); differences in scale points. The share of 5–7
  ("easy") is reported next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from patron_nps import stats
from patron_nps.config import NpsConfig, SurveyConfig


@dataclass(frozen=True)
class Metric:
    """How a survey type is scored: its headline name, unit and functions."""

    name: str
    unit: str
    digits: int


METRICS = {
    "nps": Metric("NPS", "points", 1),
    "csat": Metric("CSAT %", "points", 1),
    "ces": Metric("CES mean", "scale points", 2),
}


def headline(survey: SurveyConfig, hist: Mapping[int, int], config: NpsConfig) -> stats.Estimate:
    """The survey type's headline score of ``hist``."""
    if survey.type == "nps":
        return stats.nps(hist, config.confidence, config.min_answers)
    if survey.type == "csat":
        return stats.share(hist, 4, 5, "csat", config.confidence, config.min_answers)
    return stats.mean(hist, config.confidence, config.min_answers)


def compare(survey: SurveyConfig, a: Mapping[int, int], b: Mapping[int, int], config: NpsConfig) -> stats.Difference:
    """The headline of ``a`` minus that of ``b`` with its test."""
    if survey.type == "nps":
        return stats.nps_difference(a, b, config.confidence, config.min_answers)
    if survey.type == "csat":
        return stats.share_difference(a, b, 4, 5, config.confidence, config.min_answers)
    return stats.mean_difference(a, b, config.confidence, config.min_answers)


def rounded(value: float | None, digits: int) -> float | None:
    """A value rounded for tables (None stays None)."""
    return None if value is None else round(value, digits)
