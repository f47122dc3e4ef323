"""The core's layers, bottom to top, and which module lives in which.

A module may import (at run time) only from its own layer and the layers below
it; imports under ``if TYPE_CHECKING:`` are free, since they never run. So a
newcomer can read the core from the bottom up, and a plugin, which imports only
the contract layer's public names (``patron.public_api``), never pulls in the
database host or the CLI by accident. ``core/tests/test_layers.py`` walks every
import of every core module and fails on an upward import, an import cycle
among core modules, or a module missing from ``MODULE_LAYERS``.

The host learns about the CLI only by name: the registry takes its built-in
plugins as a parameter (the CLI passes ``patron.builtin``), and commands reach
the app through ``patron.cli_options.get_app()``, never through ``patron.cli``.
"""

from __future__ import annotations

#: The layers, bottom to top, with what each is for.
LAYERS: dict[str, str] = {
    "contract": "what plugins build against: hook specs, contract types, errors, money, kinds, SQL and CLI helpers",
    "domain": "customers, interactions and consent: models, ingest, privacy, the reports engine, importers",
    "host": "what runs it: configuration, database, migrations, the plugin registry, the app, the web server",
    "cli": "the patron command: the click group, the core's commands and its built-in plugin registrations",
}

#: Module (or package: the entry covers every module under it) → layer. The longest match wins.
MODULE_LAYERS: dict[str, str] = {
    # contract
    "patron": "contract",  # the package itself: hookimpl, PluginManifest, CONTRACT_VERSION
    "patron.hooks": "contract",
    "patron.contracts": "contract",
    "patron.manifest": "contract",
    "patron.errors": "contract",
    "patron.money": "contract",
    "patron.kinds": "contract",
    "patron.sql": "contract",
    "patron.cli_options": "contract",
    "patron.links": "contract",
    "patron.public_api": "contract",
    "patron.layers": "contract",
    "patron.appendonly": "contract",
    "patron.terminal": "contract",
    # domain
    "patron.models": "domain",
    "patron.ingest": "domain",
    "patron.consent": "domain",
    "patron.privacy": "domain",
    "patron.audiences": "domain",
    "patron.pseudonyms": "domain",
    "patron.customer360": "domain",
    "patron.refresh": "domain",
    "patron.reports": "domain",
    "patron.importer": "domain",
    # host
    "patron.config": "host",
    "patron.configfile": "host",
    "patron.db": "host",
    "patron.migrate": "host",
    "patron.migrations": "host",
    "patron.registry": "host",
    "patron.discovery": "host",
    "patron.app": "host",
    "patron.web": "host",
    # cli
    "patron.cli": "cli",
    "patron.commands": "cli",
    "patron.builtin": "cli",
    "patron.demo": "cli",
    "patron.docgen": "cli",
}


def layer_of(module: str) -> str | None:
    """The layer of ``module`` (a dotted name under ``patron``), or None when the table lacks it."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = MODULE_LAYERS.get(".".join(parts[:end]))
        if found is not None and (end == len(parts) or end > 1):
            return found
    return None


def rank(layer: str) -> int:
    """0 for the bottom layer (contract), 3 for the top (cli)."""
    return list(LAYERS).index(layer)
