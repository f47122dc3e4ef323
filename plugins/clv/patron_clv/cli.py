"""``patron clv …``: fit, show, params.

Only click is imported at module level (the CLI is built for ``patron --help``
too); everything else is imported inside the command bodies. Machine output is
``--json`` on every command.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from patron.cli_options import CustomerRef, customer_argument, get_app, json_option, parse_as_of

JSON = json_option


def _date(option: str, value: str | None) -> date | None:
    """A whole day given to ``option`` (the fits are per day), through the CLI's one date parser."""
    return None if value is None else parse_as_of(value, dates_only=True, option=option).date()


@click.group()
def clv() -> None:
    """Customer lifetime value and churn risk: BG/NBD + Gamma-Gamma (plugin clv)."""


@clv.command()
@click.option(
    "--calibration-end",
    metavar="DATE",
    help="Fit on purchases before this day (00:00 UTC; default: the day after the last purchase).",
)
@click.option(
    "--holdout-end",
    metavar="DATE",
    help="Validate on purchases from --calibration-end up to this day (exclusive); see report clv-holdout.",
)
@JSON
def fit(calibration_end: str | None, holdout_end: str | None, as_json: bool) -> None:
    """Fit both models, predict every customer and store the dated snapshot (refitting a date replaces it)."""
    from patron_clv.snapshots import fit as run_fit

    app = get_app()
    with app.transaction() as session:
        run = run_fit(app, session, _date("--calibration-end", calibration_end), _date("--holdout-end", holdout_end))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "fit_id": run.fit_id,
                    "calibration_end": run.calibration_end.isoformat(),
                    "holdout_end": run.holdout_end.isoformat() if run.holdout_end else None,
                    "customers": run.customers,
                    "replaced": run.replaced,
                    "bgnbd": run.bgnbd.as_dict(),
                    "gamma_gamma": run.gamma_gamma.as_dict(),
                    "validation": run.validation,
                },
                indent=2,
            )
        )
        return
    verb = "replaced" if run.replaced else "stored"
    click.echo(f"CLV fit {run.calibration_end.isoformat()} {verb}: {run.customers} customers.")
    for line in _estimate_lines(run.bgnbd.as_dict()) + _estimate_lines(run.gamma_gamma.as_dict()):
        click.echo(line)
    if run.validation:
        c = run.validation["conditional"]
        click.echo(
            f"Holdout to {run.holdout_end}: predicted {c['predicted_total']} repeat purchases, actual "
            f"{c['actual_total']} ({c['total_error_pct']:+}%); MAE per customer {c['mae_per_customer']}. "
            "See 'patron report run clv-holdout'."
        )


def _estimate_lines(estimate: dict[str, Any]) -> list[str]:
    lines = [f"{estimate['model']} (n = {estimate['n']}, log-likelihood {estimate['log_likelihood']:.2f}):"]
    for name, value in estimate["params"].items():
        lo, hi = estimate["ci95"][name]
        lines.append(f"  {name:<6} {value:>10.4f}  se {estimate['se'][name]:.4f}  95% [{lo:.4f}, {hi:.4f}]")
    extra = estimate.get("extra", {})
    if "frequency_spend_correlation" in extra:
        lines.append(
            f"  correlation of frequency and mean spend: {extra['frequency_spend_correlation']:.3f} "
            "(the model assumes independence; near 0 is good)"
        )
    return lines


@clv.command()
@click.option("--calibration-end", metavar="DATE", help="Which fit (default: the latest).")
@JSON
def params(calibration_end: str | None, as_json: bool) -> None:
    """The models' parameters, standard errors, 95 % intervals and log-likelihoods in a stored fit."""
    from patron_clv.snapshots import latest_fit

    with get_app().transaction() as session:
        found = latest_fit(session, _date("--calibration-end", calibration_end))
        data = {
            "calibration_end": found.calibration_end.isoformat(),
            "holdout_end": found.holdout_end.isoformat() if found.holdout_end else None,
            "unit": found.unit,
            "currency": found.currency,
            "customers": found.customers,
            "horizon_months": found.horizon_months,
            "monthly_discount_rate": found.monthly_discount_rate,
            **found.params,
        }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"CLV fit {data['calibration_end']}: {data['customers']} customers, time unit {data['unit']}, "
        f"currency {data['currency'] or '-'}, horizon {data['horizon_months']} months at "
        f"{data['monthly_discount_rate']:.2%}/month."
    )
    for line in _estimate_lines(data["bgnbd"]) + _estimate_lines(data["gamma_gamma"]):
        click.echo(line)


@clv.command()
@customer_argument()
@JSON
def show(customer: CustomerRef, as_json: bool) -> None:
    """CUSTOMER's summary and predictions in the latest fit (external id, or #id)."""
    from patron_clv.privacy import export
    from patron_clv.snapshots import latest_fit

    customer_id, external_id = customer.id, customer.external_id
    with get_app().transaction() as session:
        found = latest_fit(session)
        rows = (export(session, customer_id) or {"fits": []})["fits"]
    row = next((r for r in rows if r["calibration_end"] == found.calibration_end.isoformat()), None)
    if row is None:
        from patron.errors import NotFoundError

        raise NotFoundError(
            f"customer {external_id} has no purchase before {found.calibration_end}, so the CLV fit of that date "
            "has no row for them"
        )
    data = {"customer_id": customer_id, "external_id": external_id, "horizon_months": found.horizon_months, **row}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    unit = row["unit"]
    money = _money_text(row["currency"])
    click.echo(f"Customer {external_id} (#{customer_id}), CLV fit {row['calibration_end']} ({row['currency'] or '-'})")
    click.echo(
        f"  repeat purchase days {row['frequency']}, recency {row['recency']:.2f} {unit}s, "
        f"T {row['T']:.2f} {unit}s, past net value {money(row['total_value_minor'])}"
    )
    click.echo(f"  P(alive)                 {row['p_alive']:.4f}")
    click.echo(f"  expected purchases       {row['expected_purchases']:.3f} in {found.horizon_months} months")
    click.echo(f"  expected spend/purchase  {money(row['expected_spend_minor'])}")
    click.echo(f"  CLV                      {money(row['clv_minor'])}, rank {row['clv_rank']} of {found.customers}")


def _money_text(currency: str | None) -> Callable[[float], str]:
    """Minor units (possibly fractional: expectations) as people read them, rounded half-even."""
    from patron.money import Money

    if not currency:
        return lambda minor: f"{minor / 100:,.2f} (no currency)"
    return lambda minor: Money.rounded(minor, currency).format()
