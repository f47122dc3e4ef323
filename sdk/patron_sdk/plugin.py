"""The SDK as a Patron plugin (entry point ``sdk``): it adds ``patron plugin new``.

The registry imports only enabled plugins, so the command exists where ``sdk``
is enabled: ``patron plugins enable sdk`` in a development project, or for one
command ``PATRON_PLUGINS=sdk patron plugin new NAME`` (no patron.toml needed).
This module imports only click-level code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

if TYPE_CHECKING:
    import click

MANIFEST = PluginManifest(
    name="sdk",
    contract=CONTRACT_VERSION,
    description="Plugin author tools: 'patron plugin new' scaffolds a plugin distribution.",
)


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron_sdk.cli import plugin

    cli.add_command(plugin)
