"""The ``patron`` command: a click group built by a factory, never at import time.

``main()`` reads the settings (cheap: stdlib TOML), loads the enabled plugins
and lets every plugin, the core included, add its commands through the
``patron_cli_commands`` hook. Heavy imports (SQLAlchemy, pydantic models,
Jinja2) happen inside command bodies, so ``patron --help`` stays fast.

When the configuration or a plugin is broken, the CLI still starts with the
core's commands (so ``patron plugins disable NAME`` can repair it); commands
that need the plugins then fail with the loading error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from patron import __version__, builtin
from patron.errors import PatronError

if TYPE_CHECKING:
    from patron.app import App
    from patron.cli_options import CustomerRef
    from patron.config import Settings
    from patron.registry import PatronPluginManager

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class CliState:
    """What every command can reach through ``click.get_current_context().obj``.

    It is the ``patron.cli_options.CliContext`` that ``get_app()`` and
    ``customer_argument`` use; commands never import this module.
    """

    def __init__(self, settings: Settings | None, pm: PatronPluginManager | None, error: PatronError | None):
        self._settings = settings
        self._pm = pm
        self.error = error
        #: True once the loading error was printed as a command's error (so it is not repeated as a warning).
        self.error_reported = False

    @property
    def settings(self) -> Settings:
        """The settings; raises the loading error when the config could not be read."""
        if self._settings is None:
            assert self.error is not None
            raise self.error
        return self._settings

    @property
    def pm(self) -> PatronPluginManager:
        """The plugin manager; raises the loading error when a plugin could not be loaded."""
        if self._pm is None or self.error is not None:
            assert self.error is not None
            raise self.error
        return self._pm

    @cached_property
    def app(self) -> App:
        """The app (validated plugin config, database), built on first use."""
        app = self.unchecked_app
        app.check_config()
        return app

    @cached_property
    def unchecked_app(self) -> App:
        """The app with plugin config validated only when a config is read (``patron.commands.unchecked_app``)."""
        from patron.app import App

        return App(self.settings, self.pm, check_config=False)

    def resolve_customer(self, ref: str) -> CustomerRef:
        """The customer ``ref`` names (``#42`` or an external id), found as ``customers show`` finds it."""
        from patron.cli_options import CustomerRef
        from patron.privacy import find_customer

        with self.app.transaction() as session:
            customer = find_customer(session, ref, self.app)
            return CustomerRef(customer.id, customer.external_id, ref)


class PatronGroup(click.Group):
    """A group that turns user errors into a message and an exit code, not a traceback."""

    state: CliState | None = None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PatronError as exc:
            if self.state is not None and self.state.error is not None and str(exc) == str(self.state.error):
                # The start-up problem itself stopped the command: say it once, as the error.
                self.state.error_reported = True
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            # An unreachable database or a missing table is the environment's fault,
            # not a bug: say which database and what to do. Anything else is re-raised.
            error = _database_error(exc, self.state)
            if error is None:
                raise
            click.secho(f"Error: {error}", fg="red", err=True)
            ctx.exit(error.exit_code)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        if name is not None and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            hint = _disabled_provider_hint(name, self.state)
            if hint is not None:
                ctx.fail(f"No such command '{name}': {hint}")
        return super().resolve_command(ctx, args)


def _disabled_provider_hint(command: str, state: CliState | None) -> str | None:
    """Which installed but disabled plugin adds ``command``, and how to enable it (metadata only)."""
    from patron.registry import command_providers

    enabled = set(state._settings.plugins) if state is not None and state._settings is not None else set()
    providers = [(plugin, label) for plugin, label in command_providers(command) if plugin not in enabled]
    if not providers:
        return None
    plugin, label = providers[0]
    return (
        f'it comes from the plugin "{plugin}" ({label}), which is installed but not enabled. '
        f"Enable it with 'patron plugins enable {plugin}', or for one command: "
        f"PATRON_PLUGINS={plugin} patron {command} ..."
    )


def _database_error(exc: Exception, state: CliState | None) -> PatronError | None:
    if "sqlalchemy" not in sys.modules:
        return None  # nothing touched a database, so it cannot be a database failure
    from patron.db import describe_database_error

    settings = state._settings if state is not None else None
    if settings is None:
        return None
    return describe_database_error(exc, settings.database_url, settings.origin("database_url"))


def build_cli(argv: Sequence[str] = ()) -> PatronGroup:
    """Build the ``patron`` group for the config named in ``argv`` (or found as usual)."""
    from patron.config import load_settings
    from patron.registry import build_plugin_manager, core_plugin_manager

    settings = pm = error = None
    try:
        settings = load_settings(_config_from_argv(argv))
        pm = build_plugin_manager(settings, builtins=[builtin])
    except PatronError as exc:
        error = exc

    state = CliState(settings, pm, error)

    @click.group(cls=PatronGroup, context_settings=CONTEXT_SETTINGS)
    @click.version_option(__version__, prog_name="patron")
    @click.option(
        "--config",
        "config_path",
        metavar="PATH",
        help="Config file (default: $PATRON_CONFIG, then ./patron.toml).",
    )
    @click.pass_context
    def cli(ctx: click.Context, config_path: str | None) -> None:
        """Patron: a plugin-based CRM.

        Customers, interactions and consent in the core; scoring, loyalty,
        surveys, channels and reports from the plugins enabled in patron.toml.
        """
        ctx.obj = state

    # With broken settings or plugins, offer the core's commands so they can be repaired.
    (pm or core_plugin_manager([builtin])).hook.patron_cli_commands(cli=cli)
    assert isinstance(cli, PatronGroup)
    cli.state = state
    return cli


def _config_from_argv(argv: Sequence[str]) -> str | None:
    # The config decides which plugins add commands, so it is needed before click parses.
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
        if not arg.startswith("-"):
            break  # options after the subcommand name belong to the subcommand
    return None


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``patron`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout.isatty():
        from patron.terminal import TerminalWriter

        # Every command's output to a terminal, plugins' included: stored escapes are shown, never obeyed.
        sys.stdout = TerminalWriter(sys.stdout)
    cli = build_cli(args)
    state = cli.state if isinstance(cli, PatronGroup) else None
    try:
        cli.main(args=args, prog_name="patron")
    finally:
        # Told after the command, and only when the command did not already fail with it as its error.
        if state is not None and state.error is not None and not state.error_reported:
            click.secho(f"Warning: {state.error}\n(only the core's commands are available)", fg="yellow", err=True)
        if argv is None:  # the patron program itself, about to exit (not a caller running commands in-process)
            _before_exit(state)


def _before_exit(state: CliState | None) -> None:
    """Close the database, then spare the interpreter's exit its garbage collection.

    At exit CPython collects garbage over every object still alive before it
    frees them: after SQLAlchemy and the plugins' models are imported that pass
    alone took about a quarter of ``patron customers show``. ``gc.freeze()``
    moves every object out of the collector's reach, so the exit only frees
    them. What a collection would have finalized is closed first: the database
    connections (so SQLite checkpoints its WAL and PostgreSQL sees a clean
    goodbye). Output is flushed and ``atexit`` handlers run as always.
    """
    import gc

    for attr in ("unchecked_app", "app"):  # the same App when both were built; dispose() is idempotent
        app = state.__dict__.get(attr) if state is not None else None
        if app is not None:
            app.dispose()
    gc.freeze()


def get_state() -> CliState:
    """The current command's ``CliState`` (kept for old plugins; use ``patron.cli_options.get_app()``)."""
    obj = click.get_current_context().find_object(CliState)
    if obj is None:
        raise RuntimeError("patron commands must run inside the patron CLI")
    return obj


if __name__ == "__main__":  # pragma: no cover - python -m patron.cli
    # Run the imported module's main, not this __main__ copy: commands look up
    # patron.cli.CliState, which is a different class from __main__.CliState.
    from patron.cli import main as _main

    _main()
