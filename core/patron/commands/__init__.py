"""The core's CLI commands, one module per command group.

These modules import only click (and patron's light modules) at import time,
because they are imported to build ``patron --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

import click

if TYPE_CHECKING:
    from patron.app import App


class _UncheckedState(Protocol):
    """The part of ``patron.cli.CliState`` that ``unchecked_app`` reads."""

    @property
    def unchecked_app(self) -> App: ...


def unchecked_app() -> App:
    """The running app, with each plugin's config validated only when it is read.

    For the commands that read no plugin config (``report list``, ``customers
    show``): validating every section means importing pydantic and building each
    plugin's model, which cost more than listing reports and a third of showing a
    customer. Any plugin code these commands run that does read its config (a
    report registration, a customer panel) gets it validated then, with the same
    error (``App(check_config=False)``); every other command validates first.
    """
    state = click.get_current_context().find_root().obj
    return cast(_UncheckedState, state).unchecked_app
