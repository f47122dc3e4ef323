"""Reports over stored fits: CLV distribution, CLV by any audience family, holdout validation.

Every report reads fits only (``patron clv fit`` writes them) and aggregates in
SQL. Money is shown in the currency's major units (e.g. dollars), rounded to
cents, with the currency named in the summary. Without a fit a report returns
an empty result whose summary says what to run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from patron.audiences import family_members
from patron.audiences import members as members_of
from patron.contracts import Column, Figure, ReportResult, Table
from patron.errors import NotFoundError
from patron.money import Money
from patron.sql import floor_nonnegative
from patron_clv.contract import exponent
from patron_clv.models import ClvFit, ClvScore
from patron_clv.report_specs import BY_SEGMENT, DISTRIBUTION, HOLDOUT
from patron_clv.snapshots import latest_fit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

NO_FIT = "no CLV fit yet; run 'patron clv fit' first"


def _fit(session: Session, params: Mapping[str, Any]) -> ClvFit | None:
    try:
        return latest_fit(session, params.get("calibration_end"))
    except NotFoundError:
        if params.get("calibration_end"):
            raise
        return None


def _money(fit: ClvFit) -> Callable[[Any], Money | float | None]:
    """Minor units (a float: CLV is an expectation) → a ``Money`` cell, rounded half-even to the minor unit.

    A fit whose purchases named no currency has no currency to show: its amounts
    stay plain numbers in major units.
    """
    currency = fit.currency
    if currency:
        return lambda minor: None if minor is None else Money.rounded(minor, currency)
    scale = 10 ** exponent(currency)
    return lambda minor: None if minor is None else round(float(minor) / scale, 2)


def _money_format(fit: ClvFit) -> Any:
    """The column format of CLV amounts: ``money`` (with the currency) when the fit has one."""
    return "money" if fit.currency else "number"


def _plain(cell: Money | float | None) -> float:
    """A chart's number for a money cell: its amount in major units."""
    if isinstance(cell, Money):
        return float(cell.amount)
    return float(cell or 0)


def _audience_label(app: App, name: str) -> str:
    """``rfm:segment:potential_loyalist`` → ``Potential Loyalist (rfm:segment)``: the audience's title and family."""
    family = name.rpartition(":")[0]
    title = app.audiences[name].title
    return f"{title} ({family})" if family else title


def _num(value: Any, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _header(fit: ClvFit) -> dict[str, Any]:
    """The fit's settings, after each report's own numbers (the dashboard shows a summary's first numbers)."""
    return {
        "calibration_end": fit.calibration_end.isoformat(),
        "unit": fit.unit,
        "currency": fit.currency,
        "horizon_months": fit.horizon_months,
        # As people read a rate: 1.00 %, not 0.0100 (the fit stores the fraction).
        Column("monthly_discount_pct", "Monthly discount rate", "percent", decimals=2): round(
            100 * fit.monthly_discount_rate, 6
        ),
    }


class DistributionReport:
    """CLV per decile of customers and the distribution of P(alive)."""

    spec = DISTRIBUTION
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        fit = _fit(session, params)
        if fit is None:
            return ReportResult(self.title, {"note": NO_FIT})
        major = _money(fit)
        money = _money_format(fit)
        s = ClvScore
        decile = ((s.clv_rank - 1) * 10 // fit.customers + 1).label("decile")
        rows = session.execute(
            select(
                decile,
                func.count(),
                func.min(s.clv_minor),
                func.max(s.clv_minor),
                func.avg(s.clv_minor),
                func.sum(s.clv_minor),
                func.avg(s.p_alive),
                func.avg(s.expected_purchases),
            )
            .where(s.fit_id == fit.id)
            .group_by(decile)
            .order_by(decile)
        ).all()
        total = sum(float(r[5]) for r in rows)
        deciles = Table(
            "deciles",
            "CLV deciles (1 = the most valuable 10 %)",
            (
                Column("decile", "Decile", "id"),
                Column("customers", "Customers", "count"),
                Column("min_clv", "Lowest CLV", money),
                Column("max_clv", "Highest CLV", money),
                Column("mean_clv", "Mean CLV", money),
                Column("clv_share_pct", "Share of CLV", "percent", decimals=2),
                Column("mean_p_alive", "Mean P(alive)", "number", decimals=2),
                Column("mean_purchases", "Mean expected purchases", "number", decimals=2),
            ),
            [
                [
                    int(d),
                    int(n),
                    major(lo),
                    major(hi),
                    major(mean),
                    round(100 * float(part) / total, 2) if total else 0.0,
                    _num(alive),
                    _num(purchases),
                ]
                for d, n, lo, hi, mean, part, alive, purchases in rows
            ],
        )
        # floor, not cast: PostgreSQL's cast rounds (0.96 went to bucket 10, which the table never shows).
        bucket = case((s.p_alive >= 1, 9), else_=floor_nonnegative(s.p_alive * 10, session)).label("bucket")
        spread: dict[int, int] = {
            int(b): int(n)
            for b, n in session.execute(select(bucket, func.count()).where(s.fit_id == fit.id).group_by(bucket))
        }
        labels = [f"{b / 10:.1f}–{(b + 1) / 10:.1f}" for b in range(10)]
        alive = Table(
            "p_alive",
            "Customers by P(alive)",
            (Column("p_alive", "P(alive)"), Column("customers", "Customers", "count")),
            [[label, int(spread.get(b, 0))] for b, label in enumerate(labels)],
        )
        return ReportResult(
            self.title,
            {
                "customers": fit.customers,
                Column("total_clv", "Total CLV", money): major(total),
                Column("mean_clv", "Mean CLV", money): major(total / fit.customers) if fit.customers else None,
                **_header(fit),
            },
            (deciles, alive),
            (
                Figure(
                    "deciles",
                    "Share of total CLV per decile",
                    "bar",
                    [str(r[0]) for r in deciles.rows],
                    {"Share of CLV": [float(r[5]) for r in deciles.rows]},
                    x_label="CLV decile",
                    y_label="Share of total CLV",
                    value_format="percent",
                ),
                Figure(
                    "p_alive",
                    "Customers by P(alive)",
                    "bar",
                    labels,
                    {"Customers": [float(r[1]) for r in alive.rows]},
                    x_label="P(alive)",
                    y_label="Customers",
                    value_format="count",
                ),
            ),
            as_of=fit.calibration_end,
        )


class BySegmentReport:
    """CLV per audience of one family (RFM segments, loyalty tiers, …): one query per audience family
    (``app.audience_families``), one per audience that no family covers."""

    spec = BY_SEGMENT
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        fit = _fit(session, params)
        if fit is None:
            return ReportResult(self.title, {"note": NO_FIT})
        family = (params.get("family") or "").rstrip(":")
        names = [n for n in app.audiences if not n.startswith("clv:") and (not family or n.startswith(family + ":"))]
        if family and not names:
            known = sorted({n.rsplit(":", 1)[0] for n in app.audiences if not n.startswith("clv:")})
            raise NotFoundError(
                f"clv-by-segment: no audience family {family!r}; "
                f"families: {', '.join(known) or 'none (enable rfm or loyalty)'}"
            )
        major = _money(fit)
        total = float(session.scalar(select(func.sum(ClvScore.clv_minor)).where(ClvScore.fit_id == fit.id)) or 0)
        found = _by_family(app, session, fit.id, names)
        rows: list[list[Any]] = []
        for name in names:
            n, clv_sum, clv_mean, alive = found[name] if name in found else _one_audience(app, session, fit.id, name)
            rows.append(
                [
                    app.audiences[name].title,
                    name,
                    int(n),
                    major(clv_sum or 0),
                    major(clv_mean),
                    round(100 * float(clv_sum or 0) / total, 2) if total else 0.0,
                    _num(alive),
                ]
            )
        table = Table(
            "segments",
            f"CLV per audience{' of ' + family if family else ''}",
            (
                Column("audience", "Audience"),
                Column("name", "Name", "id"),
                Column("customers", "Customers", "count"),
                Column("total_clv", "Total CLV", _money_format(fit)),
                Column("mean_clv", "Mean CLV", _money_format(fit)),
                Column("clv_share_pct", "Share of CLV", "percent", decimals=2),
                Column("mean_p_alive", "Mean P(alive)", "number", decimals=2),
            ),
            rows,
        )
        return ReportResult(
            self.title,
            {"customers": fit.customers, "audiences": len(rows), "family": family or "(all)", **_header(fit)},
            (table,),
            (
                Figure(
                    "mean_clv",
                    "Mean CLV per audience",
                    "bar",
                    [_audience_label(app, r[1]) for r in rows],
                    {"Mean CLV": [_plain(r[4]) for r in rows]},
                    x_label="Audience",
                    y_label=f"Mean CLV ({fit.currency or 'currency units'})",
                    value_format="money" if fit.currency else None,
                    currency=fit.currency or "",
                ),
            ),
            as_of=fit.calibration_end,
        )


_Aggregates = tuple[Any, Any, Any, Any]
_EMPTY: _Aggregates = (0, None, None, None)


def _aggregates() -> tuple[Any, ...]:
    """Customers, total CLV, mean CLV and mean P(alive) of the scores in scope."""
    s = ClvScore
    return func.count(), func.sum(s.clv_minor), func.avg(s.clv_minor), func.avg(s.p_alive)


def _by_family(app: App, session: Session, fit_id: int, names: list[str]) -> dict[str, _Aggregates]:
    """The aggregates of every audience in ``names`` that an audience family covers, one query per family.

    An audience ``<family>:<key>`` with no scored member gets zeros, as its own query would give.
    """
    found: dict[str, _Aggregates] = {}
    for family in app.audience_families.values():
        covered = [n for n in names if n.startswith(family.name + ":")]
        if not covered:
            continue
        members = family_members(app, session, family.name).subquery()
        customer, key = members.c[0], members.c[1]
        grouped = session.execute(
            select(key, *_aggregates())
            .join(members, customer == ClvScore.customer_id)
            .where(ClvScore.fit_id == fit_id)
            .group_by(key)
        )
        by_key = {f"{family.name}:{row[0]}": tuple(row[1:]) for row in grouped}
        found.update({n: by_key.get(n, _EMPTY) for n in covered})
    return found


def _one_audience(app: App, session: Session, fit_id: int, name: str) -> _Aggregates:
    """The aggregates of one audience no family covers, through its own query."""
    members = members_of(app, session, name).subquery()
    n, clv_sum, clv_mean, alive = session.execute(
        select(*_aggregates()).where(ClvScore.fit_id == fit_id, ClvScore.customer_id.in_(select(members.c[0])))
    ).one()
    return n, clv_sum, clv_mean, alive


class HoldoutReport:
    """Predicted against actual repeat purchases in the holdout period, per frequency and over time."""

    spec = HOLDOUT
    name, title, description, params = spec.name, spec.title, spec.description, spec.params

    def run(self, app: App, session: Session, params: Mapping[str, Any]) -> ReportResult:
        query = select(ClvFit).where(ClvFit.holdout_end.is_not(None))
        if params.get("calibration_end"):
            query = query.where(ClvFit.calibration_end == params["calibration_end"])
        fit = session.scalar(query.order_by(ClvFit.calibration_end.desc()).limit(1))
        if fit is None:
            if params.get("calibration_end"):
                raise NotFoundError(
                    f"no CLV fit with a holdout for {params['calibration_end']}; run 'patron clv fit "
                    f"--calibration-end {params['calibration_end']} --holdout-end DATE'"
                )
            return ReportResult(
                self.title,
                {
                    "note": "no CLV fit with a holdout yet; "
                    "run 'patron clv fit --calibration-end DATE --holdout-end DATE'"
                },
            )
        conditional, track = fit.validation["conditional"], fit.validation["tracking"]
        groups = Table(
            "by_frequency",
            "Mean repeat purchases in the holdout, by repeat purchases in calibration",
            (
                Column("frequency", "Repeat purchases in calibration"),
                Column("customers", "Customers", "count"),
                Column("predicted_mean", "Predicted mean", "number", decimals=2),
                Column("actual_mean", "Actual mean", "number", decimals=2),
            ),
            [[g["frequency"], g["customers"], g["predicted_mean"], g["actual_mean"]] for g in conditional["groups"]],
        )
        steps = Table(
            "tracking",
            f"Cumulative repeat purchases per {track['unit']}",
            (
                Column("step_end", "Period end"),
                Column("period", "Period"),
                Column("actual_cumulative", "Actual (cumulative)", "number", decimals=1),
                Column("predicted_cumulative", "Predicted (cumulative)", "number", decimals=1),
            ),
            [
                [end, "calibration" if i < track["calibration_steps"] else "holdout", a, p]
                for i, (end, a, p) in enumerate(
                    zip(track["step_end"], track["actual_cumulative"], track["predicted_cumulative"], strict=True)
                )
            ],
        )
        return ReportResult(
            self.title,
            {
                "customers": fit.customers,
                "predicted_total": conditional["predicted_total"],
                "actual_total": conditional["actual_total"],
                "total_error_pct": conditional["total_error_pct"],
                "mae_per_customer": conditional["mae_per_customer"],
                "rmse_per_customer": conditional["rmse_per_customer"],
                "tracking_holdout_mape_pct": track["holdout_mape_pct"],
                "holdout_end": fit.holdout_end.isoformat() if fit.holdout_end else None,
                "holdout_length": conditional["holdout_length"],
                **_header(fit),
            },
            (groups, steps),
            (
                Figure(
                    "by_frequency",
                    "Conditional expectations: holdout repeat purchases by calibration frequency",
                    "bar",
                    [g[0] for g in groups.rows],
                    {"Predicted": [float(g[2]) for g in groups.rows], "Actual": [float(g[3]) for g in groups.rows]},
                    x_label="Repeat purchases in calibration",
                    y_label="Mean repeat purchases in holdout",
                ),
                Figure(
                    "tracking",
                    "Cumulative repeat purchases: actual vs model",
                    "line",
                    list(track["step_end"]),
                    {
                        "Actual": [float(v) for v in track["actual_cumulative"]],
                        "Predicted": [float(v) for v in track["predicted_cumulative"]],
                    },
                    x_label=track["unit"],
                    y_label="Cumulative repeat purchases",
                ),
            ),
            as_of=fit.holdout_end,
        )


def reports() -> list[Any]:
    """Every report this plugin offers, as implementations (the plugin registers ``report_specs.SPECS``)."""
    return [DistributionReport(), BySegmentReport(), HoldoutReport()]
