"""``patron config show``: the effective configuration, secrets masked."""

from __future__ import annotations

import click

from patron.cli_options import get_app


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML.")
def show(as_json: bool) -> None:
    """Print the effective configuration (file + environment + defaults).

    Passwords in the database URL and secret plugin settings are masked.
    """
    import json

    import tomlkit

    from patron.config import SECRET_KEYS, mask_url

    app = get_app()
    settings = app.settings
    core: dict[str, object] = {
        "database_url": mask_url(settings.database_url),
        "plugins": list(settings.plugins),
        "base_url": settings.base_url,
    }
    # Secrets: say that they are set, never what they are.
    core.update({key: "***" for key in SECRET_KEYS if getattr(settings, key)})
    data: dict[str, object] = {
        "patron": core,
        "plugins": {
            name: model.model_dump(mode="json") for name, model in app.plugin_configs.items() if model is not None
        },
    }
    if as_json:
        document: dict[str, object] = {"config_file": str(settings.path) if settings.path else None, **data}
        click.echo(json.dumps(document, indent=2))
        return
    source = settings.path or "no file: built-in defaults"
    click.echo(f"# effective configuration (from {source} and the environment)")
    click.echo(tomlkit.dumps({k: _drop_none(v) for k, v in data.items()}).rstrip())


def _drop_none(value: object) -> object:
    # TOML has no null; an unset optional setting is simply absent.
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value
