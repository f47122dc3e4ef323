"""Patron: a plugin-based CRM framework.

The top-level package stays cheap to import: it exposes the hook marker plugins
use (``from patron import hookimpl``), the manifest type they declare, and the
versions. Everything heavy (SQLAlchemy, pydantic models, Jinja2) lives in
submodules that are imported only when a command needs them.
"""

from __future__ import annotations

import pluggy

from patron.manifest import PluginManifest

__all__ = ["CONTRACT_VERSION", "PROJECT_NAME", "PluginManifest", "__version__", "hookimpl"]

__version__ = "0.1.0"

#: The version of the hook contract (``patron.hooks`` and ``patron.contracts``).
#: A plugin declares the contract it was written for in its manifest; it is
#: compatible when the major numbers match and its minor is not newer.
CONTRACT_VERSION = "1.3"

#: The pluggy project name: hook specs and implementations are marked with it.
PROJECT_NAME = "patron"

#: Decorate a plugin's hook implementations with this.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
