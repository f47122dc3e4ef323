"""The core's CLI commands, one module per command group.

These modules import only click (and patron's light modules) at import time,
because they are imported to build ``patron --help``.
"""
