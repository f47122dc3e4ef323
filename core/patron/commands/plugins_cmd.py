"""``patron plugins list|info|enable|disable``: what is installed, what is on, and switching.

Listing never imports a plugin that is not enabled: for those it shows what the
distribution's metadata says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

import click

if TYPE_CHECKING:
    from pathlib import Path

    from patron.app import App
    from patron.config import Settings
    from patron.errors import PatronError
    from patron.registry import PatronPluginManager


class _State(Protocol):
    """The parts of the CLI's context object (``patron.cli.CliState``) these commands read.

    These commands must work when a plugin failed to load, so unlike other
    commands they look at the loading error instead of only asking for the app.
    """

    error: PatronError | None

    @property
    def settings(self) -> Settings: ...

    @property
    def pm(self) -> PatronPluginManager: ...

    @property
    def app(self) -> App: ...


def get_state() -> _State:
    return cast(_State, click.get_current_context().find_root().obj)


def _complete_plugin(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Installed plugin names for shell completion (entry-point metadata only: nothing is imported)."""
    from patron.registry import installed_plugins

    return sorted(name for name in installed_plugins() if name.startswith(incomplete))


@click.group()
def plugins() -> None:
    """List, inspect, enable and disable plugins."""


def _rows(pm: PatronPluginManager | None, enabled: tuple[str, ...]) -> list[dict[str, Any]]:
    from patron.registry import installed_plugins

    rows: list[dict[str, Any]] = []
    infos = pm.infos if pm is not None else {}
    for name, ep in sorted(installed_plugins().items()):
        dist = ep.dist
        info = infos.get(name)
        rows.append(
            {
                "name": name,
                "enabled": name in enabled,
                "loaded": info is not None,
                "distribution": dist.name if dist else None,
                "version": dist.version if dist else None,
                "description": (info.manifest.description if info else None) or (dist.summary if dist else ""),
                "requires": list(info.manifest.requires) if info else None,
                "hooks": _hooks(pm, name) if info else None,
            }
        )
    if pm is not None:
        rows.insert(
            0,
            {
                "name": "core",
                "enabled": True,
                "loaded": True,
                "distribution": "patron",
                "version": pm.infos["core"].version,
                "description": pm.infos["core"].manifest.description,
                "requires": [],
                "hooks": _hooks(pm, "core"),
            },
        )
    return rows


def _hooks(pm: PatronPluginManager | None, name: str) -> list[str]:
    if pm is None:
        return []
    plugin = pm.get_plugin(name)
    callers = pm.get_hookcallers(plugin) or [] if plugin is not None else []
    return sorted(caller.name for caller in callers)


@plugins.command("list")
@click.option("--hook", "hook", metavar="NAME", help="Only plugins implementing this hook.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(hook: str | None, as_json: bool) -> None:
    """Show installed plugins: enabled or not, version, hooks implemented."""
    import json

    state = get_state()
    settings = state.settings
    pm = None if state.error else state.pm
    rows = _rows(pm, settings.plugins)
    if hook:
        rows = [r for r in rows if r["hooks"] and hook in r["hooks"]]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No plugins found." if hook else "No plugins installed.")
        return
    for row in rows:
        mark = "on " if row["enabled"] else "off"
        version = f"{row['distribution']} {row['version']}"
        click.echo(f"[{mark}] {row['name']:<16} {version:<24} {row['description'] or ''}")
        if row["hooks"]:
            click.echo(f"      hooks: {', '.join(row['hooks'])}")
    missing = [name for name in settings.plugins if name not in {r["name"] for r in rows}]
    if missing and not hook:
        click.echo(f"Enabled but not installed: {', '.join(missing)}", err=True)


@plugins.command()
@click.argument("name", shell_complete=_complete_plugin)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(name: str, as_json: bool) -> None:
    """Show one plugin: distribution, requirements, hooks, settings and contributions."""
    import json

    from patron.errors import NotFoundError

    state = get_state()
    rows = {r["name"]: r for r in _rows(None if state.error else state.pm, state.settings.plugins)}
    if name not in rows:
        raise NotFoundError(f'no plugin "{name}" is installed; installed: {", ".join(sorted(rows)) or "none"}')
    row = dict(rows[name])
    if row["loaded"]:
        app = state.app
        model = app.plugin_config(name)
        row["settings"] = model.model_dump(mode="json") if model is not None else {}
        from patron.contracts import CONTRIBUTION_KINDS

        row["contributions"] = {
            kind.attr: sorted(n for n, supplier in getattr(app, kind.attr).suppliers.items() if supplier == name)
            for kind in CONTRIBUTION_KINDS
            if kind.attr != "web_routes"  # collected by 'patron serve' only: web code stays out of other commands
        }
    if as_json:
        click.echo(json.dumps(row, indent=2, default=str))
        return
    for key, value in row.items():
        if value is None:
            continue  # hooks and requirements are known only once the plugin is loaded (enabled)
        if isinstance(value, dict):
            if key == "contributions":
                value = {kind: names for kind, names in value.items() if names}  # only what it contributes
            click.echo(f"{key}:" if value else f"{key}: -")
            for k, v in value.items():
                shown = ", ".join(map(str, v)) if isinstance(v, list) else v
                click.echo(f"  {k}: {'-' if shown in ('', None) else shown}")
        elif isinstance(value, list):
            click.echo(f"{key}: {', '.join(value) or '-'}")
        else:
            click.echo(f"{key}: {value}")


@plugins.command()
@click.argument("names", nargs=-1, required=True, shell_complete=_complete_plugin)
def enable(names: tuple[str, ...]) -> None:
    """Enable installed plugins in patron.toml (comments and layout are kept)."""
    from patron.errors import PluginError
    from patron.registry import installed_plugins

    path, current = _config_file()
    installed = installed_plugins()
    unknown = [n for n in names if n not in installed]
    if unknown:
        raise PluginError(
            f"not installed: {', '.join(unknown)}. Installed plugins: {', '.join(sorted(installed)) or 'none'}"
        )
    wanted = list(current) + [n for n in names if n not in current]
    app = _check_combination(path, wanted)
    _write(path, wanted, f"Enabled {', '.join(names)}")
    with_tables = [n for n in names if n not in current and app.migrations_of(n)]
    if with_tables:
        click.echo(f"Run 'patron db upgrade' to create the tables of {', '.join(with_tables)}.")


@plugins.command()
@click.argument("names", nargs=-1, required=True, shell_complete=_complete_plugin)
def disable(names: tuple[str, ...]) -> None:
    """Disable plugins in patron.toml. Their tables and data are kept."""
    from patron.errors import PluginError

    path, current = _config_file()
    not_enabled = [n for n in names if n not in current]
    if not_enabled:
        raise PluginError(f"not enabled in {path}: {', '.join(not_enabled)}; enabled: {', '.join(current) or 'none'}")
    wanted = [n for n in current if n not in names]
    state = get_state()
    if not state.error:
        for other in wanted:
            info = state.pm.infos.get(other)
            needs = [n for n in info.manifest.requires if n in names] if info is not None else []
            if needs:
                raise PluginError(
                    f'plugin "{other}" requires {", ".join(needs)}; disable "{other}" too, or keep {", ".join(needs)}'
                )
    _write(path, wanted, f"Disabled {', '.join(names)}")


def _config_file() -> tuple[Path, tuple[str, ...]]:
    from patron.config import find_config, load_settings
    from patron.errors import ConfigError

    ctx = click.get_current_context()
    path = find_config(ctx.find_root().params.get("config_path"))
    if path is None:
        raise ConfigError("no patron.toml here; create one with 'patron init' (or pass --config PATH)")
    # Read the file itself, not the environment: the edit must not bake in an override.
    return path, load_settings(path, env={}).plugins


def _check_combination(path: Path, wanted: list[str]) -> App:
    # Load the would-be set once (plugins and their config sections), so a bad
    # combination is refused before the file changes.
    from dataclasses import replace

    from patron.app import App
    from patron.config import load_settings

    return App(replace(load_settings(path, env={}), plugins=tuple(wanted)))


def _write(path: Path, plugins: list[str], message: str) -> None:
    from patron.configfile import set_enabled_plugins

    set_enabled_plugins(path, plugins)
    click.echo(f"{message} in {path}. Now enabled: {', '.join(plugins) or 'none'}")
