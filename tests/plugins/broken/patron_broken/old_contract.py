"""Written for a contract major version the core does not provide."""

from patron import PluginManifest

MANIFEST = PluginManifest(name="broken_contract", contract="0.9")
