"""``patron refresh``: bring every plugin's derived data (scores, tiers, expiry) up to date."""

from __future__ import annotations

from datetime import datetime

import click

from patron.cli_options import as_of_option, echo_json, get_app, json_option


@click.command()
@as_of_option(help="Compute as of this UTC date (00:00 of that day) or date-time (default: now).")
@json_option
def refresh(as_of: datetime | None, as_json: bool) -> None:
    """Run every enabled plugin's refresh job (e.g. nightly, from cron)."""
    from datetime import UTC

    from patron.refresh import refresh as run_refresh

    when = as_of or datetime.now(UTC)
    lines = run_refresh(get_app(), when)
    if as_json:
        echo_json({"as_of": when.isoformat(), "plugins": [line.split(": ", 1)[0] for line in lines], "lines": lines})
        return
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("No enabled plugin has a refresh job.")
