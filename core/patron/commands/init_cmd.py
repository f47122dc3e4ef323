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
    from click.core import ParameterSource

    from patron.app import App
    from patron.config import CONFIG_FILENAME, load_settings, mask_url
    from patron.configfile import add_secret_key, render_template, write_atomic
    from patron.db import describe_database_error
    from patron.errors import ConfigError, PatronError, PluginError
    from patron.registry import installed_plugins

    ctx = click.get_current_context()
    config_opt = ctx.find_root().params.get("config_path") or os.environ.get("PATRON_CONFIG")
    path = Path(config_opt) if config_opt else Path.cwd() / CONFIG_FILENAME
    names = [p.strip() for p in plugins.split(",") if p.strip()]
    installed = installed_plugins() if names else {}
    unknown = [n for n in names if n not in installed]
    if unknown:
        raise PluginError(
            f"not installed: {', '.join(unknown)}; nothing was written. Installed plugins: "
            f"{', '.join(sorted(installed)) or 'none'}"
        )
    url_given = ctx.get_parameter_source("database_url") is not ParameterSource.DEFAULT
    write = force or not path.exists()
    if not write:
        if names or url_given:
            raise ConfigError(
                f"{path} already exists and was left unchanged; edit it, use 'patron plugins enable', "
                "or pass --force to overwrite it"
            )
        click.echo(f"Using existing {path}")
        if not os.environ.get("PATRON_SECRET_KEY") and add_secret_key(path):
            click.echo(f"Added a secret key to {path} ([patron] secret_key): keep this file private")
        candidate = path
    else:
        if not path.parent.is_dir():
            raise ConfigError(f"cannot write {path}: folder {path.parent} does not exist; create it first")
        # Check the new file (its plugins, their settings, the database) before it
        # replaces anything, so a failed init leaves no half-made configuration.
        candidate = path.with_name(f".{path.name}.init")
        write_atomic(candidate, render_template(database_url, names))
    try:
        settings = load_settings(candidate)
        app = App(settings)
        try:
            app.upgrade_database()
        except Exception as exc:
            # The CLI's own handler knows only the settings it started with, not this file's.
            error = describe_database_error(exc, settings.database_url, str(path.resolve()))
            if error is None:
                raise
            raise error from exc
        finally:
            app.dispose()
        if write:
            os.replace(candidate, path)
            click.echo(f"Wrote {path}")
    except PatronError as exc:
        if not write:
            raise
        # Same error, told about the file the user asked for, which was not written.
        message = str(exc).replace(str(candidate.resolve()), str(path.resolve()))
        raise type(exc)(f"patron init wrote nothing: {message}") from exc
    finally:
        if write:
            candidate.unlink(missing_ok=True)
    click.echo(f"Database ready: {mask_url(settings.database_url)}")
    click.echo("Next: 'patron plugins list' to see what is installed.")
