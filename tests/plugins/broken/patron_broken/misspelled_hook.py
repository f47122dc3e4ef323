"""Implements a hook name that does not exist (a typo of patron_reports)."""

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

MANIFEST = PluginManifest(name="broken_hook", contract=CONTRACT_VERSION)


@hookimpl
def patron_report(register):  # type: ignore[no-untyped-def]
    """Misspelled on purpose."""
