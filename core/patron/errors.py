"""Errors a user can cause, each with a message that says where and what to do.

The CLI turns a ``PatronError`` into its message on stderr and its exit code,
never a traceback; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class PatronError(Exception):
    """Base class of user-facing errors; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class ConfigError(PatronError):
    """The configuration file or environment is invalid (exit code 3)."""

    exit_code = 3


class PluginError(PatronError):
    """A plugin could not be found, loaded, or combined with the others (exit code 4)."""

    exit_code = 4


class DatabaseError(PatronError):
    """The database is unreachable, out of date, or refused a write (exit code 5)."""

    exit_code = 5


class InputError(PatronError):
    """A file or argument the user supplied is invalid (exit code 6)."""

    exit_code = 6


class NotFoundError(PatronError):
    """A customer, report or other named object does not exist (exit code 7)."""

    exit_code = 7
