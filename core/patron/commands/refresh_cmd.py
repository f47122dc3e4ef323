"""``patron refresh``: bring every plugin's derived data (scores, tiers, expiry) up to date."""

from __future__ import annotations

from datetime import datetime

import click

from patron.cli import get_state


@click.command()
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Compute as of this UTC date/time (default: now).",
)
def refresh(as_of: datetime | None) -> None:
    """Run every enabled plugin's refresh job (e.g. nightly, from cron)."""
    from datetime import UTC

    from patron.refresh import refresh as run_refresh

    when = as_of.replace(tzinfo=UTC) if as_of else datetime.now(UTC)
    lines = run_refresh(get_state().app, when)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("No enabled plugin has a refresh job.")
