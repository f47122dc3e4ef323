"""``patron rfm …``: score, explain, segments, snapshots.

Only click is imported at module level (the CLI is built for ``patron --help``
too); everything else is imported inside the command bodies.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import click


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        from patron.errors import InputError

        raise InputError(f"--as-of {value!r} is not a date; use YYYY-MM-DD, e.g. 1998-07-01") from exc


AS_OF = click.option("--as-of", "as_of", metavar="DATE", help="As-of date YYYY-MM-DD (default: see each command).")
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


@click.group()
def rfm() -> None:
    """RFM scores, segments and ABC tiers (plugin rfm)."""


@rfm.command()
@AS_OF
@FORMAT
def score(as_of: str | None, fmt: str) -> None:
    """Score every customer and store the snapshot (default as-of: the day after the last interaction).

    Re-scoring a date that already has a snapshot replaces it.
    """
    from patron.cli import get_state
    from patron_rfm.snapshots import score as run_score

    app = get_state().app
    with app.transaction() as session:
        run = run_score(app, session, _parse_date(as_of))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "snapshot_id": run.snapshot_id,
                    "as_of": run.as_of.isoformat(),
                    "customers": run.customers,
                    "replaced": run.replaced,
                }
            )
        )
        return
    verb = "replaced" if run.replaced else "stored"
    click.echo(f"RFM snapshot {run.as_of.isoformat()} {verb}: {run.customers} customers scored.")


@rfm.command()
@click.argument("customer")
@AS_OF
@FORMAT
def explain(customer: str, as_of: str | None, fmt: str) -> None:
    """Why CUSTOMER (external id, or #id) has their scores, segment and tier (default: latest snapshot)."""
    from patron.cli import get_state
    from patron_rfm.explain import explain as run_explain

    app = get_state().app
    with app.transaction() as session:
        e = run_explain(session, customer, _parse_date(as_of))
    if fmt == "json":
        click.echo(json.dumps(e.as_dict(), indent=2))
        return
    click.echo(f"Customer {e.external_id} (#{e.customer_id}), RFM snapshot {e.as_of.isoformat()} ({e.method})")
    names = {
        "recency_days": ("R", "recency (days)"),
        "frequency": ("F", "frequency"),
        "monetary_minor": ("M", "monetary (minor units)"),
    }
    for metric, (letter, label) in names.items():
        click.echo(f"  {label:<24} {e.metrics[metric]:>12}  → {letter} = {e.scores[letter.lower()]}")
        click.echo(f"      cut-offs (score: range): {'; '.join(e.cutoffs[metric])}")
    click.echo(f"  code {e.code} → {e.segment_label}, by rule {e.rule_number}: {e.rule}")
    click.echo(f"  ABC tier {e.tier}")


@rfm.command()
@FORMAT
def segments(fmt: str) -> None:
    """The segment rules in effect: which R, F, M ranges map to which segment."""
    from patron.cli import get_state
    from patron_rfm.snapshots import plugin_config

    rules = plugin_config(get_state().app).segments
    if fmt == "json":
        click.echo(json.dumps([{**r.model_dump(), "slug": r.slug, "codes": len(r.codes())} for r in rules], indent=2))
        return
    click.echo(f"{'#':>3}  {'R':<5} {'F':<5} {'M':<5} {'codes':>5}  segment (audience)")
    for i, rule in enumerate(rules, 1):
        click.echo(
            f"{i:>3}  {rule.r:<5} {rule.f:<5} {rule.m:<5} {len(rule.codes()):>5}  "
            f"{rule.segment} (rfm:segment:{rule.slug})"
        )


@rfm.command()
@FORMAT
def snapshots(fmt: str) -> None:
    """List the stored snapshots."""
    from sqlalchemy import select

    from patron.cli import get_state
    from patron_rfm.models import RfmSnapshot

    with get_state().app.transaction() as session:
        rows = session.execute(
            select(RfmSnapshot.as_of, RfmSnapshot.method, RfmSnapshot.customers, RfmSnapshot.computed_at).order_by(
                RfmSnapshot.as_of
            )
        ).all()
    if fmt == "json":
        click.echo(
            json.dumps(
                [{"as_of": a.isoformat(), "method": m, "customers": n, "computed_at": _iso(c)} for a, m, n, c in rows]
            )
        )
        return
    if not rows:
        click.echo("No RFM snapshots yet; run 'patron rfm score'.")
    for a, m, n, c in rows:
        click.echo(f"{a.isoformat()}  {m:<10} {n:>9} customers  (computed {_iso(c)})")


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")
