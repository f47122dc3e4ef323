"""Requires another plugin that tests leave disabled."""

from patron import CONTRACT_VERSION, PluginManifest

MANIFEST = PluginManifest(name="broken_requires", contract=CONTRACT_VERSION, requires=("probe",))
