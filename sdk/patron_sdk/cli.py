"""``patron plugin new NAME``: scaffold a plugin distribution (imports only click at module level)."""

from __future__ import annotations

import click


@click.group()
def plugin() -> None:
    """Tools for plugin authors (from patron-sdk)."""


@plugin.command()
@click.argument("name")
@click.option(
    "--vertical",
    type=click.Choice(["generic", "retail", "banking", "manufacturing"]),
    default="generic",
    show_default=True,
    help="Pre-fill domain examples: basket size, product holdings, or account/contact roles.",
)
@click.option("--dir", "directory", default=".", show_default=True, metavar="DIR", help="Where to create it.")
@click.option("--author", default="Your Name", show_default=True, help="Author named in pyproject.toml.")
def new(name: str, vertical: str, directory: str, author: str) -> None:
    """Create patron-NAME/: an installable plugin with config, a table, a scoring model, a report, tests."""
    from pathlib import Path

    from patron_sdk.scaffold import render_plugin

    target = render_plugin(name, Path(directory), vertical=vertical, author=author)
    click.echo(f"Created {target}")
    click.echo("Next:")
    click.echo(f"  pip install -e {target}")
    click.echo(f"  patron plugins enable {name}")
    click.echo(f"  pytest {target / 'tests'}")
