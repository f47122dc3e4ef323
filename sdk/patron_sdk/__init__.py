"""The Patron plugin SDK: test fixtures, the conformance suite and the scaffolder."""

__version__ = "0.1.0"
