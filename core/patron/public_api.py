"""The public surface for plugins: the core modules and names a plugin may import.

Everything else in ``patron`` is internal and may change in any release; a
plugin that needs something missing here asks for it to be added (with docs)
rather than reaching in. ``docs/public-api.md`` documents each entry, and
``core/tests/test_public_api.py`` fails when a shipped plugin (``plugins/*``),
the SDK's scaffold output or the probe test plugin imports a core module or
name outside this table, or one plugin imports another.

``ALL`` means every name of the module not starting with ``_``. The contract
version a plugin declares (``PluginManifest(contract=...)``) covers these names:
removing or changing one is a major contract change.
"""

from __future__ import annotations

#: Stands for "every public name of the module".
ALL: frozenset[str] = frozenset({"*"})

#: Module → the names plugins may import from it.
PUBLIC_API: dict[str, frozenset[str]] = {
    # What every plugin's __init__.py needs.
    "patron": frozenset({"hookimpl", "PluginManifest", "CONTRACT_VERSION", "PROJECT_NAME", "__version__"}),
    # The contract: hook specs (for a plugin's own hookspecs and types), contract types, errors.
    "patron.hooks": ALL,
    "patron.contracts": ALL,
    "patron.errors": ALL,
    "patron.manifest": frozenset({"PluginManifest"}),
    # Shared facts, declared once.
    "patron.money": ALL,
    "patron.kinds": ALL,
    # Portable SQL and the CLI convention.
    "patron.sql": ALL,
    "patron.cli_options": ALL,
    # The core's tables, for joins and foreign keys (plugins never write them directly).
    "patron.models": frozenset(
        {"Base", "Customer", "Interaction", "Consent", "AuditEvent", "Id", "Json", "UTCDateTime", "utcnow"}
    ),
    # Writing through the core, so events fire and the audit log is kept.
    "patron.ingest": frozenset(
        {"record_interactions", "upsert_customers", "append_consents", "audit", "current_actor", "fire_event"}
    ),
    # Consent state, as composable queries.
    "patron.consent": frozenset({"ConsentState", "current_states", "consenting_customers", "latest_entries"}),
    # The app hooks receive (as a type, and App.from_config for worker processes).
    "patron.app": frozenset({"App"}),
    # Audiences as channels use them (erased customers never members).
    "patron.audiences": frozenset({"members", "family_members", "without_erased"}),
    # Report SQL that runs on both engines: month buckets, and the currency money figures default to.
    "patron.reports.sqlparts": ALL,
    # Stored text shown safely in a terminal.
    "patron.terminal": frozenset({"clean"}),
    # Signed, expiring, purpose-bound links (web surface).
    "patron.links": ALL,
}


def is_public(module: str, name: str | None = None) -> bool:
    """True when plugins may import ``module`` (``import module``) or ``name`` from it."""
    names = PUBLIC_API.get(module)
    if names is None:
        return False
    if name is None or names is ALL or "*" in names:
        return name is None or not name.startswith("_") or name == "__version__"
    return name in names
