"""Holdout validation: predicted against actual repeat purchases, per frequency group and over time.

Two checks from Fader, Hardie and Lee (2005):

- *conditional*: for each calibration frequency (0, 1, …, 6, 7+), the mean
  number of repeat purchase days customers were expected to make in the
  holdout period (E[Y(t*) | x, t_x, T]) against the mean they made (their
  Figure 4), with the mean absolute and root-mean-square error per customer
  and the error of the total;
- *tracking*: cumulative repeat purchase days of the whole cohort per time
  unit, from the first purchase to the end of the holdout, against the model's
  Σ E[X(t − first purchase)] (their Figure 3), with the mean absolute
  percentage error over the holdout steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patron_clv.estimation import bgnbd_expected_purchases, bgnbd_unconditional

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

    from patron_clv.summary import Summary

TOP_GROUP = 7


def validate(
    summary: Summary,
    params: Sequence[float],
    holdout_end: date,
    actual: Mapping[int, int],
    per_day: Mapping[int, int],
) -> dict[str, Any]:
    """The validation report (JSON-serialisable) for a fit on ``summary`` checked up to ``holdout_end``."""
    import numpy as np

    unit = summary.unit_days
    holdout_days = (holdout_end - summary.calibration_end).days
    t_star = holdout_days / unit
    predicted = bgnbd_expected_purchases(params, t_star, summary.frequency, summary.recency, summary.T)
    observed = np.array([actual.get(int(c), 0) for c in summary.customer_id], dtype=float)
    groups = []
    capped = np.minimum(summary.frequency, TOP_GROUP).astype(int)
    for level in range(TOP_GROUP + 1):
        members = capped == level
        if members.any():
            groups.append(
                {
                    "frequency": f"{level}+" if level == TOP_GROUP else str(level),
                    "customers": int(members.sum()),
                    "predicted_mean": round(float(predicted[members].mean()), 4),
                    "actual_mean": round(float(observed[members].mean()), 4),
                }
            )
    total_predicted, total_actual = float(predicted.sum()), float(observed.sum())
    conditional = {
        "holdout_length": round(t_star, 4),
        "customers": len(summary),
        "predicted_total": round(total_predicted, 2),
        "actual_total": int(total_actual),
        "total_error_pct": round(100 * (total_predicted - total_actual) / total_actual, 2) if total_actual else None,
        "mae_per_customer": round(float(np.abs(predicted - observed).mean()), 4),
        "rmse_per_customer": round(float(np.sqrt(((predicted - observed) ** 2).mean())), 4),
        "groups": groups,
    }
    return {"conditional": conditional, "tracking": tracking(summary, params, holdout_end, per_day)}


def tracking(
    summary: Summary, params: Sequence[float], holdout_end: date, per_day: Mapping[int, int]
) -> dict[str, Any]:
    """Cumulative repeat purchase days per time unit: actual against Σ E[X(t − first purchase)]."""
    import numpy as np

    from patron_clv.summary import EPOCH

    unit = summary.unit_days
    start = int(summary.first_day.min())
    end = (holdout_end - EPOCH).days
    calibration = (summary.calibration_end - EPOCH).days
    # Step ends: start + unit, start + 2 unit, …, the last one at the holdout end.
    ends = np.arange(start + unit, end + unit, unit, dtype=np.int64)
    ends[-1] = min(int(ends[-1]), end)
    cohorts, sizes = np.unique(summary.first_day, return_counts=True)
    # A customer's clock starts at the end of their first purchase day (the repeat process runs after it).
    elapsed = np.clip((ends[:, None] - (cohorts[None, :] + 1)) / unit, 0, None)
    expected = (bgnbd_unconditional(params, elapsed) * sizes).sum(axis=1)
    days = np.array(sorted(per_day), dtype=np.int64)
    counts = np.array([per_day[int(d)] for d in days], dtype=float)
    actual = np.array([counts[days < e].sum() for e in ends]) if days.size else np.zeros(ends.size)
    in_holdout = ends > calibration
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.abs(expected - actual) / actual
    holdout_ape = ape[in_holdout & (actual > 0)]
    return {
        "unit": "day" if unit == 1 else "week",
        "step_end": [(EPOCH.fromordinal(EPOCH.toordinal() + int(e))).isoformat() for e in ends],
        "actual_cumulative": [int(a) for a in actual],
        "predicted_cumulative": [round(float(p), 2) for p in expected],
        "calibration_steps": int((~in_holdout).sum()),
        "holdout_mape_pct": round(100 * float(holdout_ape.mean()), 2) if holdout_ape.size else None,
    }
