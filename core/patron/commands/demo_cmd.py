"""``patron demo [DIR]``: a synthetic customer base in a fresh SQLite database, with every report rendered."""

from __future__ import annotations

import click


@click.command()
@click.argument("directory", default="patron-demo", type=click.Path(file_okay=False))
@click.option("--customers", default=3000, show_default=True, type=click.IntRange(min=1), help="How many customers.")
@click.option("--seed", default=42, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--force", is_flag=True, help="Replace an earlier demo in DIR.")
def demo(directory: str, customers: int, seed: int, force: bool) -> None:
    """Create a demo database in DIR (default ./patron-demo), load synthetic data and render every report.

    The database is SQLite, the data deterministic (seeded) and every installed
    shipped plugin is enabled. Your own patron.toml is never touched: DIR gets its own.
    """
    import time
    from pathlib import Path

    from patron.demo.build import build_demo

    started = time.monotonic()
    outcome = build_demo(Path(directory), customers=customers, seed=seed, force=force, say=click.echo)
    click.echo("")
    click.echo("Wrote:")
    click.echo(f"  {outcome.directory / 'patron.toml'}")
    click.echo(f"  {outcome.directory / 'patron.db'}")
    for _name, _title, paths in outcome.reports:
        for path in paths:
            click.echo(f"  {path}")
    click.echo(f"  {outcome.index}   <- open this in a browser")
    click.echo(f"Done in {time.monotonic() - started:.1f}s.")
    where = outcome.directory
    click.echo("")
    click.echo("What to try next (from the demo directory):")
    click.echo(f"  cd {where}")
    click.echo("  patron report list")
    click.echo("  patron report run overview --param months=24 --format md")
    click.echo("  patron report run overview --format csv -o out/")
    click.echo("  patron report run overview --param as_of=2025-07-01 --param top=5 --format json")
    click.echo("  patron plugins list")
    click.echo("  patron customers show C000001")
