"""Fails at import: a dependency that is not installed."""

import patron_broken_missing_dependency  # noqa: F401  (the point of this plugin)
