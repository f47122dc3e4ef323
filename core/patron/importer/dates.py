"""Date and time cells → timezone-aware UTC datetimes.

ISO 8601 by default (``2024-03-01``, ``2024-03-01T10:15:00Z``,
``2024-03-01 10:15:00+02:00``); any ``strptime`` format with ``--date-format``.
A time without a zone is taken as UTC, because storage is UTC and guessing the
machine's local zone would make imports depend on where they run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


class DateError(ValueError):
    """A cell that is not a date in the expected format."""


def date_parser(date_format: str | None = None) -> Callable[[str], datetime]:
    """Return a function parsing one cell with ``date_format`` (None: ISO 8601)."""
    if date_format is None:

        def parse(text: str) -> datetime:
            try:
                value = datetime.fromisoformat(text.strip())
            except ValueError:
                raise DateError(
                    f"{text!r} is not an ISO 8601 date such as 2024-03-01 or 2024-03-01T10:15:00Z; "
                    "for another format use --date-format (e.g. --date-format %d/%m/%Y)"
                ) from None
            return _utc(text, value)

        return parse

    def parse_formatted(text: str) -> datetime:
        try:
            value = datetime.strptime(text.strip(), date_format)
        except ValueError:
            raise DateError(f"{text!r} does not match --date-format {date_format}") from None
        return _utc(text, value)

    return parse_formatted


def _utc(text: str, value: datetime) -> datetime:
    """``value`` in UTC; a time whose UTC instant falls outside years 1–9999 is refused, not a crash."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise DateError(
            f"{text!r} falls outside the years 1 to 9999 once converted to UTC; check the date and its offset"
        ) from None
