"""``patron probe ...``: commands proving a plugin can add a CLI group."""

from __future__ import annotations

import click

from patron.cli_options import get_app


@click.group()
def probe() -> None:
    """Probe plugin commands (test plugin)."""


@probe.command()
def hello() -> None:
    """Greet, as configured in [plugins.probe]."""
    from patron_probe.config import ProbeConfig

    config = get_app().plugin_config("probe", ProbeConfig)
    for _ in range(config.repeat):
        click.echo(f"{config.greeting} from probe")


@probe.command()
def count() -> None:
    """Print how many notes each event wrote."""
    from sqlalchemy import func, select

    from patron_probe.models import ProbeNote

    with get_app().transaction() as session:
        by_event = select(ProbeNote.event, func.count()).group_by(ProbeNote.event).order_by(ProbeNote.event)
        rows = session.execute(by_event)
        for event, n in rows:
            click.echo(f"{event}: {n}")
