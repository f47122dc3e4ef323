"""``patron rfm …``: score, explain, segments, snapshots.

Only click and ``patron.cli_options`` are imported at module level (the CLI is
built for ``patron --help`` too); everything else inside the command bodies.
Every command prints text, or JSON with ``--json``.
"""

from __future__ import annotations

from datetime import date, datetime

import click

from patron.cli_options import CustomerRef, as_of_option, customer_argument, echo_json, get_app, json_option

AS_OF_HELP = "As-of date YYYY-MM-DD: purchases before 00:00 UTC of that day count (default: see each command)."


def _day(as_of: datetime | None) -> date | None:
    return None if as_of is None else as_of.date()


@click.group()
def rfm() -> None:
    """RFM scores, segments and ABC tiers (plugin rfm)."""


@rfm.command()
@as_of_option(dates_only=True, help=AS_OF_HELP)
@json_option
def score(as_of: datetime | None, as_json: bool) -> None:
    """Score every customer and store the snapshot (default as-of: the day after the last interaction).

    Re-scoring a date that already has a snapshot replaces it.
    """
    from patron_rfm.snapshots import score as run_score

    app = get_app()
    with app.transaction(immediate=True) as session:
        run = run_score(app, session, _day(as_of))
    if as_json:
        echo_json(
            {
                "snapshot_id": run.snapshot_id,
                "as_of": run.as_of.isoformat(),
                "customers": run.customers,
                "replaced": run.replaced,
            }
        )
        return
    verb = "replaced" if run.replaced else "stored"
    click.echo(f"RFM snapshot {run.as_of.isoformat()} {verb}: {run.customers} customers scored.")


@rfm.command()
@customer_argument()
@as_of_option(dates_only=True, help=AS_OF_HELP)
@json_option
def explain(customer: CustomerRef, as_of: datetime | None, as_json: bool) -> None:
    """Why CUSTOMER (external id, or #id) has their scores, segment and tier (default: latest snapshot)."""
    from patron_rfm.explain import explain as run_explain

    app = get_app()
    with app.transaction() as session:
        e = run_explain(session, customer.id, customer.external_id, _day(as_of))
    if as_json:
        echo_json(e.as_dict())
        return
    click.echo(f"Customer {e.external_id} (#{e.customer_id}), RFM snapshot {e.as_of.isoformat()} ({e.method})")
    names = {
        "recency_days": ("R", "recency (days)", str(e.metrics["recency_days"])),
        "frequency": ("F", "frequency", str(e.metrics["frequency"])),
        "monetary_minor": ("M", "monetary", e.monetary),
    }
    for metric, (letter, label, value) in names.items():
        click.echo(f"  {label:<24} {value:>12}  → {letter} = {e.scores[letter.lower()]}")
        click.echo(f"      cut-offs (score: range): {'; '.join(e.cutoffs[metric])}")
    click.echo(f"  code {e.code} → {e.segment_label}, by rule {e.rule_number}: {e.rule}")
    click.echo(f"  ABC tier {e.tier}")


@rfm.command()
@json_option
def segments(as_json: bool) -> None:
    """The segment rules in effect: which R, F, M ranges map to which segment."""
    from patron_rfm.snapshots import plugin_config

    rules = plugin_config(get_app()).segments
    if as_json:
        echo_json([{**r.model_dump(), "slug": r.slug, "codes": len(r.codes())} for r in rules])
        return
    click.echo(f"{'#':>3}  {'R':<5} {'F':<5} {'M':<5} {'codes':>5}  segment (audience)")
    for i, rule in enumerate(rules, 1):
        click.echo(
            f"{i:>3}  {rule.r:<5} {rule.f:<5} {rule.m:<5} {len(rule.codes()):>5}  "
            f"{rule.segment} (rfm:segment:{rule.slug})"
        )


@rfm.command()
@json_option
def snapshots(as_json: bool) -> None:
    """List the stored snapshots."""
    from sqlalchemy import select

    from patron_rfm.models import RfmSnapshot

    with get_app().transaction() as session:
        rows = session.execute(
            select(RfmSnapshot.as_of, RfmSnapshot.method, RfmSnapshot.customers, RfmSnapshot.computed_at).order_by(
                RfmSnapshot.as_of
            )
        ).all()
    if as_json:
        echo_json(
            [{"as_of": a.isoformat(), "method": m, "customers": n, "computed_at": _iso(c)} for a, m, n, c in rows]
        )
        return
    if not rows:
        click.echo("No RFM snapshots yet; run 'patron rfm score'.")
    for a, m, n, c in rows:
        click.echo(f"{a.isoformat()}  {m:<10} {n:>9} customers  (computed {_iso(c)})")


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")
