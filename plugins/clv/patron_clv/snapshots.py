"""Fits stored as dated snapshots: summarise, fit both models, predict per customer, store atomically.

``fit`` computes the calibration summary in SQL, fits BG/NBD and Gamma-Gamma,
predicts for every summarised customer, and stores the fit (parameters,
standard errors, intervals, log-likelihoods, validation) and one row per
customer. Refitting a calibration end that already has a fit deletes and
rewrites it in the caller's transaction, so readers see the old fit or the new
one, never a mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select

from patron.errors import InputError, NotFoundError
from patron.models import Interaction, utcnow
from patron_clv.config import UNIT_DAYS, ClvConfig
from patron_clv.contract import PURCHASE, exponent
from patron_clv.estimation import (
    Estimate,
    FitError,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
    gamma_gamma_population_mean,
)
from patron_clv.models import ClvFit, ClvScore
from patron_clv.summary import Summary, check_currency, holdout_actuals, repeat_days_per_day, summarise

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from sqlalchemy.orm import Session

    from patron.app import App

#: Days in a month for the CLV horizon and its monthly discounting (a year is 365.25 days).
MONTH_DAYS = 365.25 / 12
INSERT_BATCH = 5_000


@dataclass(frozen=True)
class FitRun:
    """What ``fit`` did and found."""

    fit_id: int
    calibration_end: date
    holdout_end: date | None
    customers: int
    replaced: bool
    bgnbd: Estimate
    gamma_gamma: Estimate
    validation: dict[str, Any]


def plugin_config(app: App) -> ClvConfig:
    """The validated ``[plugins.clv]`` settings."""
    return app.plugin_config("clv", ClvConfig)


def default_calibration_end(session: Session) -> date:
    """The day after the last purchase (today, UTC, when there is none)."""
    last = session.scalar(select(func.max(Interaction.occurred_at)).where(Interaction.kind == PURCHASE))
    if last is None:
        return utcnow().date()
    # MAX keeps the column type on PostgreSQL but is raw text on SQLite.
    moment = last if hasattr(last, "date") else _parse(str(last))
    return moment.date() + timedelta(days=1)


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Predictions:
    """Per-customer outputs aligned with a ``Summary``."""

    p_alive: NDArray[np.float64]
    expected_purchases: NDArray[np.float64]
    expected_spend: NDArray[np.float64]
    clv: NDArray[np.float64]


def predict(summary: Summary, bgnbd: Estimate, gamma_gamma: Estimate, config: ClvConfig, scale: float) -> Predictions:
    """P(alive), expected purchases over the horizon, expected spend and discounted CLV (minor units).

    CLV = Σ_{m=1..H} E[spend] · (E[Y(m months)] − E[Y((m−1) months)]) / (1 + d)^m: the purchases
    expected in each month, valued at the expected mean spend and discounted monthly.
    """
    import numpy as np

    bg = [bgnbd.params[k] for k in ("r", "alpha", "a", "b")]
    gg = [gamma_gamma.params[k] for k in ("p", "q", "gamma")]
    x, t_x, T = summary.frequency, summary.recency, summary.T
    month = MONTH_DAYS / summary.unit_days
    mean = np.where(x > 0, np.nan_to_num(summary.mean_value, nan=0.0) / scale, 0.0)
    spend = gamma_gamma_expected_spend(gg, x, mean, gamma_gamma_population_mean(gg)) * scale
    previous = np.zeros_like(x)
    value = np.zeros_like(x)
    for m in range(1, config.horizon_months + 1):
        cumulative = bgnbd_expected_purchases(bg, m * month, x, t_x, T)
        value += spend * (cumulative - previous) / (1 + config.monthly_discount_rate) ** m
        previous = cumulative
    return Predictions(bgnbd_p_alive(bg, x, t_x, T), previous, spend, value)


def fit(app: App, session: Session, calibration_end: date | None = None, holdout_end: date | None = None) -> FitRun:
    """Fit and store the snapshot for ``calibration_end`` (default: the day after the last purchase)."""
    import numpy as np

    config = plugin_config(app)
    end = calibration_end or default_calibration_end(session)
    if holdout_end is not None and holdout_end <= end:
        raise InputError(
            f"--holdout-end {holdout_end} must be after --calibration-end {end}: the holdout period follows it"
        )
    currency = check_currency(session, _midnight(holdout_end or end), config.currency)
    summary = summarise(session, end, UNIT_DAYS[config.unit], currency)
    if not len(summary):
        raise InputError(f"no purchases before {end}: nothing to fit; check --calibration-end")
    scale = float(10 ** exponent(currency))
    try:
        bgnbd = fit_bgnbd(summary.frequency, summary.recency, summary.T, penalizer=config.penalizer)
        mean_major = np.nan_to_num(summary.mean_value, nan=0.0) / scale
        gamma_gamma = fit_gamma_gamma(summary.frequency, mean_major, penalizer=config.penalizer)
    except FitError as exc:
        raise InputError(f"CLV fit with calibration end {end}: {exc}") from exc
    predictions = predict(summary, bgnbd, gamma_gamma, config, scale)
    validation: dict[str, Any] = {}
    if holdout_end is not None:
        from patron_clv.validation import validate

        bg = [bgnbd.params[k] for k in ("r", "alpha", "a", "b")]
        actual = holdout_actuals(session, end, holdout_end, currency)
        per_day = repeat_days_per_day(session, end, holdout_end, currency)
        validation = validate(summary, bg, holdout_end, actual, per_day)
    params = {
        "bgnbd": bgnbd.as_dict(),
        "gamma_gamma": gamma_gamma.as_dict(),
        "spend_unit": "major",
        "population_mean_spend_minor": gamma_gamma_population_mean([gamma_gamma.params[k] for k in ("p", "q", "gamma")])
        * scale,
    }
    replaced = _delete_fit(session, end)
    fit_row = ClvFit(
        calibration_end=end,
        holdout_end=holdout_end,
        unit=config.unit,
        currency=currency,
        horizon_months=config.horizon_months,
        monthly_discount_rate=config.monthly_discount_rate,
        customers=len(summary),
        params=params,
        validation=validation,
    )
    session.add(fit_row)
    session.flush()
    _store_scores(session, fit_row.id, summary, predictions)
    return FitRun(fit_row.id, end, holdout_end, len(summary), replaced, bgnbd, gamma_gamma, validation)


def _midnight(day: date) -> Any:
    from patron_clv.summary import midnight

    return midnight(day)


def _delete_fit(session: Session, calibration_end: date) -> bool:
    old = session.scalar(select(ClvFit.id).where(ClvFit.calibration_end == calibration_end))
    if old is None:
        return False
    session.execute(delete(ClvScore).where(ClvScore.fit_id == old))
    session.execute(delete(ClvFit).where(ClvFit.id == old))
    return True


def _store_scores(session: Session, fit_id: int, summary: Summary, p: Predictions) -> None:
    """Insert one row per customer in batches (executemany: the values come from numpy, not from SQL)."""
    import numpy as np

    order = np.lexsort((summary.customer_id, -p.clv))
    rank = np.empty(len(summary), dtype=np.int64)
    rank[order] = np.arange(1, len(summary) + 1)
    columns = {
        "customer_id": summary.customer_id.tolist(),
        "frequency": summary.frequency.astype(int).tolist(),
        "recency": summary.recency.tolist(),
        "tenure": summary.T.tolist(),
        "mean_value_minor": [None if math.isnan(v) else v for v in summary.mean_value.tolist()],
        "total_value_minor": summary.total_value.tolist(),
        "p_alive": p.p_alive.tolist(),
        "expected_purchases": p.expected_purchases.tolist(),
        "expected_spend_minor": p.expected_spend.tolist(),
        "clv_minor": p.clv.tolist(),
        "clv_rank": rank.tolist(),
    }
    names = list(columns)
    rows = [
        dict(zip(names, values, strict=True)) | {"fit_id": fit_id} for values in zip(*columns.values(), strict=True)
    ]
    for i in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(ClvScore), rows[i : i + INSERT_BATCH])


def latest_fit(session: Session, calibration_end: date | None = None) -> ClvFit:
    """The fit for ``calibration_end`` (default: the latest); NotFoundError saying what to run."""
    query = select(ClvFit)
    if calibration_end is not None:
        query = query.where(ClvFit.calibration_end == calibration_end)
    found = session.scalar(query.order_by(ClvFit.calibration_end.desc()).limit(1))
    if found is None:
        where = f" --calibration-end {calibration_end}" if calibration_end else ""
        raise NotFoundError(
            f"no CLV fit{' for ' + str(calibration_end) if calibration_end else ''} yet; "
            f"run 'patron clv fit{where}' first"
        )
    return found


def refresh(app: App, as_of: Any) -> str:
    """``patron_refresh``: refit with calibration end = the as-of day (idempotent: it replaces that fit).

    A data set the models cannot be fitted on (too few repeat buyers) is not an
    error of the nightly job: the line says why nothing was refitted.
    """

    day = as_of.date()
    try:
        with app.transaction() as session:
            run = fit(app, session, day)
    except InputError as exc:
        # Not enough data is normal on a young database; say so instead of failing the whole refresh.
        return f"CLV not refitted for {day.isoformat()}: {exc}"
    return (
        f"CLV fit {run.calibration_end.isoformat()}: {run.customers} customers, "
        f"BG/NBD LL {run.bgnbd.log_likelihood:.1f}, Gamma-Gamma LL {run.gamma_gamma.log_likelihood:.1f}"
    )
