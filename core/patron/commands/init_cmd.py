"""``patron init``: write a commented patron.toml and create the database."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command()
@click.option("--database-url", default="sqlite:///patron.db", show_default=True, help="Database to create.")
@click.option("--plugins", "plugins", default="", metavar="A,B", help="Plugins to enable (comma-separated).")
@click.option("--force", is_flag=True, help="Overwrite an existing patron.toml.")
def init(database_url: str, plugins: str, force: bool) -> None:
    """Write patron.toml (if absent) and create or upgrade the database."""
    from patron.app import App
    from patron.config import CONFIG_FILENAME, load_settings, mask_url
    from patron.configfile import render_template, write_atomic
    from patron.errors import ConfigError

    ctx = click.get_current_context()
    config_opt = ctx.find_root().params.get("config_path") or os.environ.get("PATRON_CONFIG")
    path = Path(config_opt) if config_opt else Path.cwd() / CONFIG_FILENAME
    names = [p.strip() for p in plugins.split(",") if p.strip()]
    if path.exists() and not force:
        if names:
            raise ConfigError(f"{path} already exists; use 'patron plugins enable' or --force to overwrite it")
        click.echo(f"Using existing {path}")
    else:
        write_atomic(path, render_template(database_url, names))
        click.echo(f"Wrote {path}")
    # The file may have just been written, so build the app from it, not from the CLI's state.
    settings = load_settings(path)
    app = App(settings)
    try:
        app.upgrade_database()
    finally:
        app.dispose()
    click.echo(f"Database ready: {mask_url(settings.database_url)}")
    click.echo("Next: 'patron plugins list' to see what is installed.")
