"""Options, arguments and helpers that every ``patron`` command shares, core and plugins alike.

One convention for the whole CLI:

- machine output is ``--json`` (``json_option``) on every command that prints
  data; the JSON goes to stdout, messages to stderr;
- file formats (reports) are ``-f/--format html|md|csv|json`` (``format_option``);
- ``--as-of`` is parsed once (``as_of_option``): a date means 00:00 UTC of that
  day, a date-time without an offset is UTC, and the value given to the command
  is a timezone-aware UTC ``datetime`` (see "What as_of means" in
  ``patron.contracts``);
- a customer is named as ``customers show`` names one (``customer_argument``):
  an external id, or ``#42`` for an internal id, resolved by the same lookup.

``get_app()`` is how a command body reaches the running ``App``. Only click is
imported here, so a plugin's ``cli.py`` can import this module at the top and
``patron --help`` stays fast. This module is part of the public surface for
plugins (docs/public-api.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import click

if TYPE_CHECKING:
    from patron.app import App

F = TypeVar("F", bound=Callable[..., Any])

#: The file formats a report renders to.
FILE_FORMATS = ("html", "md", "csv", "json")


@dataclass(frozen=True)
class CustomerRef:
    """A customer named on the command line, resolved: internal ``id`` and ``external_id``.

    ``given`` is what the user typed, for messages.
    """

    id: int
    external_id: str
    given: str


class CliContext(Protocol):
    """What the ``patron`` CLI keeps in click's context object (``patron.cli.CliState`` is one)."""

    @property
    def app(self) -> App:
        """The running app, built on first use."""
        ...

    def resolve_customer(self, ref: str) -> CustomerRef:
        """The customer ``ref`` names, through the lookup ``patron customers show`` uses."""
        ...


def _context_object(ctx: click.Context | None = None) -> CliContext:
    ctx = ctx or click.get_current_context()
    obj = ctx.find_root().obj
    # Look the attribute up on the type, so a lazily built app is not built just to check.
    if obj is None or not hasattr(type(obj), "app"):
        raise RuntimeError("patron commands must run inside the patron CLI (patron.cli.main or build_cli)")
    return cast(CliContext, obj)


def get_app() -> App:
    """The ``App`` of the running ``patron`` command (settings, plugins, database)."""
    return _context_object().app


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (dates and decimals as strings)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def json_option(func: F) -> F:
    """``--json``: print the command's data as JSON instead of text (parameter ``as_json: bool``)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of text.")(func)


def format_option(
    choices: Sequence[str] = FILE_FORMATS, default: str | None = None, help: str | None = None
) -> Callable[[F], F]:
    """``-f/--format``: the file format to write (parameter ``fmt: str``); machine output is ``--json``."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=default is not None,
        help=help or f"File format: {', '.join(choices)}.",
    )


def parse_as_of(value: str, *, dates_only: bool = False, option: str = "--as-of") -> datetime:
    """``YYYY-MM-DD`` → 00:00 UTC of that day; ``YYYY-MM-DDTHH:MM[:SS][±HH:MM]`` → that instant in UTC.

    Raises ``InputError`` (exit code 6) naming the option and the accepted forms.
    """
    from patron.errors import InputError

    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    is_date = len(text) == 10
    if parsed is None or (dates_only and not is_date):
        forms = "YYYY-MM-DD" if dates_only else "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
        raise InputError(f"{option} {value!r} is not a date; use {forms}, e.g. 1998-07-01")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_of_option(*, dates_only: bool = False, help: str | None = None) -> Callable[[F], F]:
    """``--as-of``: the instant to compute as of (parameter ``as_of: datetime | None``, UTC; None = default).

    Data strictly before the instant count. ``dates_only`` refuses a time of day
    (for things kept per day, such as snapshots).
    """

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
        return None if value is None else parse_as_of(value, dates_only=dates_only)

    metavar = "DATE" if dates_only else "DATE[THH:MM]"
    default_help = "Compute as of this UTC date (00:00 of that day; that day is excluded) or date-time; default: now."
    return click.option("--as-of", "as_of", metavar=metavar, callback=convert, help=help or default_help)


def customer_argument(name: str = "customer") -> Callable[[F], F]:
    """A ``CUSTOMER`` argument (external id, or ``#42``) given to the command as a ``CustomerRef``.

    Resolved through the lookup ``patron customers show`` uses, so both accept
    the same references and give the same "no customer" message.
    """

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> CustomerRef | None:
        return None if value is None else _context_object(ctx).resolve_customer(value)

    return click.argument(name, metavar=name.upper(), callback=convert)


def customer_option(*param_decls: str, help: str = "The customer: external id, or #<internal id>.") -> Callable[[F], F]:
    """A required option naming a customer (e.g. ``--customer``), given to the command as a ``CustomerRef``.

    The same lookup as ``customer_argument``; use it where the customer is not the command's main argument.
    """

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> CustomerRef | None:
        return None if value is None else _context_object(ctx).resolve_customer(value)

    return click.option(
        *(param_decls or ("--customer",)), metavar="CUSTOMER", required=True, callback=convert, help=help
    )
