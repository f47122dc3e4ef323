"""The plugin keeps the Patron plugin contract: the SDK's conformance suite, turned on with one line."""

from patron_sdk.conformance import conformance_tests

TestConformance = conformance_tests("email", channel_template="welcome")
