"""The core's own behaviour, registered as the plugin ``core`` through the same hooks.

Commands, the core's migration branch, interaction kinds and reports come through the
contract every plugin uses, so the contract is exercised by the core itself.
This module imports only click-level code at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patron import CONTRACT_VERSION, hookimpl
from patron.manifest import PluginManifest

if TYPE_CHECKING:
    from collections.abc import Callable

    import click

    from patron.contracts import InteractionKind, Report

MANIFEST = PluginManifest(
    name="core",
    contract=CONTRACT_VERSION,
    description="Customers, interactions, consent, audit log, import, reports.",
    stores_personal_data=True,
)


@hookimpl
def patron_cli_commands(cli: click.Group) -> None:
    from patron.commands import config_cmd, db_cmd, init_cmd, plugins_cmd

    cli.add_command(init_cmd.init)
    cli.add_command(config_cmd.config)
    cli.add_command(plugins_cmd.plugins)
    cli.add_command(db_cmd.db)
    from patron.commands import consent_cmd, customers_cmd, import_cmd

    cli.add_command(import_cmd.import_group)
    cli.add_command(customers_cmd.customers)
    cli.add_command(consent_cmd.consent)
    from patron.commands import demo_cmd, refresh_cmd, report_cmd

    cli.add_command(report_cmd.report)
    cli.add_command(demo_cmd.demo)
    cli.add_command(refresh_cmd.refresh)
    from patron.commands import serve_cmd  # imports click only; Starlette/uvicorn load inside the command

    cli.add_command(serve_cmd.serve)


@hookimpl
def patron_migrations() -> str:
    from patron.migrate import CORE_VERSIONS_DIR

    return str(CORE_VERSIONS_DIR)


@hookimpl
def patron_reports(register: Callable[[Report], None]) -> None:
    # Specs: 'patron report list' shows them without importing the implementations (or SQLAlchemy).
    from patron.reports.specs import SPECS

    for spec in SPECS:
        register(spec)


@hookimpl
def patron_interaction_kinds(register: Callable[[InteractionKind], None]) -> None:
    from patron.kinds import CORE_KINDS

    for kind in CORE_KINDS:
        register(kind)
