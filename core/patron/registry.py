"""Plugin discovery and loading: entry points in group ``patron`` → a pluggy manager.

``build_plugin_manager(settings)`` returns a fresh manager every call; nothing
is discovered or registered at import time. Only the entry points named in the
configuration are loaded, so a plugin that is installed but not enabled is never
imported. Each loaded plugin's ``MANIFEST`` is checked (contract version,
required plugins) before anything is registered, plugins are registered in
dependency order, and ``check_pending()`` makes an implementation of a
misspelled hook fail loudly.

Built-in behaviour of the core (its CLI commands, its reports, its migrations)
is the plugin ``core``, registered first through the same path, so the core uses
its own contract. The registry does not import it: the built-in plugins are a
parameter (the CLI passes ``patron.builtin``), and callers that pass none get
``DEFAULT_BUILTINS``, loaded by dotted name as Datasette loads its
``DEFAULT_PLUGINS``, so the host layer never imports the CLI layer.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy

from patron import CONTRACT_VERSION, PROJECT_NAME, hooks
from patron.config import Settings
from patron.discovery import FoundEntryPoint, distribution_entry_points, entry_points
from patron.errors import PluginError
from patron.manifest import PluginManifest, contract_compatible

ENTRY_POINT_GROUP = "patron"
CORE_PLUGIN = "core"
#: The core's built-in plugin modules, by dotted name (the first one is the plugin ``core``).
DEFAULT_BUILTINS: tuple[str, ...] = ("patron.builtin",)


@dataclass(frozen=True)
class PluginInfo:
    """What the registry knows about one loaded plugin."""

    name: str
    module: ModuleType
    manifest: PluginManifest
    distribution: str
    version: str

    @property
    def label(self) -> str:
        """``"loyalty" (patron-loyalty 0.1.0)``: how messages name the plugin."""
        return f'"{self.name}" ({self.distribution} {self.version})'


class PatronPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers each loaded plugin's ``PluginInfo``."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.infos: dict[str, PluginInfo] = {}


def installed_plugins() -> dict[str, FoundEntryPoint]:
    """Return every plugin installed in this environment, by entry-point name.

    Found by ``patron.discovery`` (what ``importlib.metadata`` finds, without its import cost).
    """
    found: dict[str, FoundEntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        other = found.get(ep.name)
        if other is not None and other.value != ep.value:
            raise PluginError(
                f'two installed distributions both provide the plugin "{ep.name}": '
                f"{_dist_label(other)} and {_dist_label(ep)}; uninstall one of them"
            )
        found[ep.name] = ep
    return found


def build_plugin_manager(
    settings: Settings, builtins: Sequence[ModuleType | str] = DEFAULT_BUILTINS
) -> PatronPluginManager:
    """Load, check, order and register the core (``builtins``) and every enabled plugin."""
    pm = core_plugin_manager(builtins)

    installed = installed_plugins() if settings.plugins else {}
    loaded = [_load(name, installed, settings) for name in settings.plugins]
    _check_requirements(loaded, settings)
    where = settings.origin("plugins")
    # Historic: every plugin registered below is called as it registers, so the
    # hooks it adds exist before check_pending verifies the implementations.
    pm.hook.patron_addhooks.call_historic(kwargs={"pluginmanager": pm})
    for info in order_plugins(loaded):
        pm.infos[info.name] = info
        try:
            pm.register(info.module, name=info.name)
        except pluggy.PluginValidationError as exc:
            # A hookimpl whose arguments the spec does not offer: pluggy names the function only.
            raise PluginError(
                f"plugin {info.label} (enabled in {where}) does not fit the hook contract: {exc}. "
                f"Install a version of the plugin built for this core, or {_disable_hint(info.name, where)}"
            ) from exc
        except Exception as exc:
            # Registering runs the plugin's patron_addhooks (historic); a failure there is the plugin's.
            raise PluginError(
                f"plugin {info.label} (enabled in {where}) failed while adding its hooks: "
                f"{type(exc).__name__}: {exc}. {_disable_hint(info.name, where).capitalize()}"
            ) from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        # pluggy names the function; we add which plugin and what to do.
        plugin = pm.get_name(exc.plugin) or "?"
        label = pm.infos[plugin].label if plugin in pm.infos else f'"{plugin}"'
        raise PluginError(
            f"plugin {label} (enabled in {where}) implements a hook that does not exist: {exc}. "
            f"Fix the hook name (docs/hooks.md lists them) or {_disable_hint(plugin, where)}"
        ) from exc
    if os.environ.get("PATRON_TRACE_HOOKS"):
        enable_tracing(pm)
    return pm


def core_plugin_manager(builtins: Sequence[ModuleType | str] = DEFAULT_BUILTINS) -> PatronPluginManager:
    """A fresh manager with the hook specs and only the core's built-in plugins (``core`` first)."""
    pm = PatronPluginManager()
    pm.add_hookspecs(hooks)
    for item in builtins:
        module = importlib.import_module(item) if isinstance(item, str) else item
        manifest = module.MANIFEST
        pm.infos[manifest.name] = PluginInfo(manifest.name, module, manifest, "patron", _core_version())
        pm.register(module, name=manifest.name)
    return pm


def enable_tracing(pm: pluggy.PluginManager) -> None:
    """Print every hook call and its result to stderr (``PATRON_TRACE_HOOKS=1``)."""

    def before(hook_name: str, hook_impls: Any, kwargs: Mapping[str, Any]) -> None:
        names = ", ".join(impl.plugin_name for impl in hook_impls)
        sys.stderr.write(f"[patron hook] {hook_name}({', '.join(kwargs)}) -> [{names}]\n")

    def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Mapping[str, Any]) -> None:
        exc = outcome.exception
        state = f"raised {type(exc).__name__}" if exc else "ok"
        sys.stderr.write(f"[patron hook] {hook_name} {state}\n")

    pm.add_hookcall_monitoring(before, after)


def order_plugins(plugins: Iterable[PluginInfo]) -> list[PluginInfo]:
    """Order plugins so that each comes after those it requires or lists in ``after``.

    Ties keep the configured order, so the result is deterministic. A cycle is an
    error naming the plugins in it.
    """
    pending = {info.name: info for info in plugins}
    done: list[PluginInfo] = []
    placed: set[str] = set()
    while pending:
        ready = [
            info
            for info in pending.values()
            if all(dep in placed or dep not in pending for dep in (*info.manifest.requires, *info.manifest.after))
        ]
        if not ready:
            cycle = ", ".join(sorted(pending))
            raise PluginError(
                f"plugins {cycle} depend on each other in a cycle; a plugin's 'requires' "
                "and 'after' must not lead back to it"
            )
        for info in ready:
            done.append(info)
            placed.add(info.name)
            del pending[info.name]
    return done


def _load(name: str, installed: Mapping[str, FoundEntryPoint], settings: Settings) -> PluginInfo:
    where = settings.origin("plugins")
    if name == CORE_PLUGIN:
        raise PluginError(f'"core" is always loaded; remove it from the plugins enabled in {where}')
    ep = installed.get(name)
    if ep is None:
        names = ", ".join(sorted(installed)) or "none"
        raise PluginError(
            f'plugin "{name}" is enabled in {where} but not installed. Installed plugins: '
            f"{names}. Install its distribution (pip install ...) or {_disable_hint(name, where)}"
        )
    dist, version = _dist_name_version(ep)
    label = f'"{name}" ({dist} {version}, enabled in {where})'
    try:
        module = ep.load()
    except Exception as exc:
        # Anything can go wrong inside a third-party plugin's import; keep the
        # traceback (raise from) and say how to get the CLI back.
        raise PluginError(
            f"Error loading plugin {label}: {type(exc).__name__}: {exc}. Fix or reinstall the "
            f"plugin, or {_disable_hint(name, where, escape=True)}"
        ) from exc
    if not isinstance(module, ModuleType):
        raise PluginError(f"plugin {label}: entry point {ep.value!r} must name a module, not {type(module).__name__}")
    manifest = getattr(module, "MANIFEST", None)
    if not isinstance(manifest, PluginManifest):
        raise PluginError(
            f"plugin {label}: module {module.__name__} has no MANIFEST = PluginManifest(...); "
            f"its author must declare one (see docs/hooks.md); until then {_disable_hint(name, where)}"
        )
    if manifest.name != name:
        raise PluginError(f"plugin {label}: MANIFEST.name is {manifest.name!r}; it must equal the entry-point name")
    try:
        compatible = contract_compatible(manifest.contract, CONTRACT_VERSION)
    except ValueError as exc:
        raise PluginError(f"plugin {label}: {exc}") from exc
    if not compatible:
        raise PluginError(
            f"plugin {label} was written for Patron contract {manifest.contract}, but this core "
            f"(patron {_core_version()}) provides contract {CONTRACT_VERSION}; install a version "
            f"of the plugin built for this core, or {_disable_hint(name, where)}"
        )
    return PluginInfo(name, module, manifest, dist, version)


def _check_requirements(loaded: list[PluginInfo], settings: Settings) -> None:
    enabled = {info.name for info in loaded}
    for info in loaded:
        missing = [req for req in info.manifest.requires if req not in enabled]
        if missing:
            raise PluginError(
                f"plugin {info.label} requires {', '.join(repr(m) for m in missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not enabled in {settings.origin('plugins')}; "
                f"enable {'it' if len(missing) == 1 else 'them'} with 'patron plugins enable "
                f"{' '.join(missing)}' or disable {info.name}"
            )


def _disable_hint(name: str, where: str, escape: bool = False) -> str:
    """How to switch the plugin off where it was switched on: an environment variable or the file."""
    if where.startswith("$"):
        return f"remove it from {where}"
    prefix = 'PATRON_LOAD_PLUGINS="" ' if escape else ""
    return f"disable it with '{prefix}patron plugins disable {name}'"


def _dist_name_version(ep: FoundEntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return ("unknown distribution", "?")
    return (dist.name, dist.version)


def _dist_label(ep: FoundEntryPoint) -> str:
    name, version = _dist_name_version(ep)
    return f"{name} {version}"


#: Entry-point group where a distribution names the top-level commands its plugin adds
#: (``plugin = "patron_sdk.cli:plugin"``), so a command of a disabled plugin can be
#: explained without importing anything.
COMMANDS_GROUP = "patron.commands"


def command_providers(command: str) -> list[tuple[str, str]]:
    """``(plugin name, "distribution version")`` of every installed plugin declaring ``command``.

    Reads entry-point metadata only: nothing is imported.
    """
    found: list[tuple[str, str]] = []
    for ep in entry_points(COMMANDS_GROUP):
        dist = ep.dist
        if dist is None or ep.name != command:
            continue
        label = _dist_label(ep)
        found += [(name, label) for group, name, _ in distribution_entry_points(dist) if group == ENTRY_POINT_GROUP]
    return sorted(set(found))


def _core_version() -> str:
    from patron import __version__

    return __version__
