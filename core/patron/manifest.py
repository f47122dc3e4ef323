"""What a plugin declares about itself before any of its hooks run.

A plugin module exposes ``MANIFEST = PluginManifest(...)``. The registry reads it
right after importing the module and refuses the plugin before registering it
when the contract version or the required plugins do not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PluginManifest:
    """A plugin's declaration of identity and requirements.

    :param name: the plugin name; must equal its entry-point name in group ``patron``.
    :param contract: the core contract version the plugin was written for
        (``"MAJOR.MINOR"``); accepted when the major matches the core's and the minor
        is not newer than the core's.
    :param requires: plugins that must be enabled too; they are registered first.
    :param after: plugins that, when enabled, are registered first (soft ordering).
    :param description: one line shown by ``patron plugins list``.
    :param stores_personal_data: True when the plugin keeps data about customers,
        which obliges it to implement the export and erase hooks.
    :param config_model: ``"package.module:ClassName"`` of the plugin's pydantic
        settings model, resolved when the app is built (instead of implementing
        ``patron_config_model``).
    :param migrations: the folder of the plugin's Alembic scripts, relative to
        the plugin module's folder, e.g. ``"migrations"`` (instead of
        implementing ``patron_migrations``).
    """

    name: str
    contract: str
    requires: tuple[str, ...] = field(default_factory=tuple)
    after: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""
    stores_personal_data: bool = False
    config_model: str | None = None
    migrations: str | None = None


def resolve_reference(ref: str) -> object:
    """Import ``"package.module:attribute"`` and return the attribute; ValueError says what is wrong."""
    import importlib

    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{ref!r} is not of the form 'package.module:attribute'")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name} has no attribute {attr!r} (from {ref!r})") from None


def parse_version(text: str) -> tuple[int, int]:
    """Parse ``"MAJOR.MINOR"`` into a tuple; raise ValueError with the offending text."""
    parts = text.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"contract version {text!r} is not of the form MAJOR.MINOR")
    return int(parts[0]), int(parts[1])


def contract_compatible(wanted: str, provided: str) -> bool:
    """True when a plugin written for contract ``wanted`` runs on core contract ``provided``."""
    w_major, w_minor = parse_version(wanted)
    p_major, p_minor = parse_version(provided)
    return w_major == p_major and w_minor <= p_minor
