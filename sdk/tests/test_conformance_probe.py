"""The conformance suite passes on the probe plugin, which implements every hook correctly."""

from patron_sdk.conformance import conformance_tests

TestProbeConformance = conformance_tests("probe")
