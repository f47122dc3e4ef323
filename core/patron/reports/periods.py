"""Period comparison for reports: a period, the one before it, the same one a year earlier, and the change.

A period is a half-open interval ``[start, end)`` of UTC instants, the shape
``as_of`` gives every report (``patron.contracts.as_of_instant``: data strictly
before 00:00 UTC of the ``as_of`` day). The *previous* period has the same length
and ends where the period starts; the period *a year earlier* is the same
calendar dates one year back (29 February becomes 28 February). A change is
``(now - before) / before`` in percent, and has no value when ``before`` is 0:
it is shown as "—", never as ``inf`` or a division error.

Pure arithmetic, no database: reports compute the values, this module only says
which intervals to compute them over and how to label the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from patron.money import Money, round_ratio

#: What a change is shown as when there is nothing to compare with (the earlier value is 0).
NO_CHANGE = "—"


@dataclass(frozen=True)
class Period:
    """The half-open interval ``[start, end)`` of timezone-aware UTC instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.start - self.length, self.start)

    def year_earlier(self) -> Period:
        """The same calendar dates one year earlier."""
        return Period(year_earlier(self.start), year_earlier(self.end))

    def describe_length(self) -> str:
        """``30 days``, ``1 day``; a length that is not whole days in hours (never happens with dates)."""
        days, rest = divmod(self.length, timedelta(days=1))
        if rest:
            return f"{self.length.total_seconds() / 3600:g} hours"
        return f"{days} day" if days == 1 else f"{days} days"


def year_earlier(moment: datetime) -> datetime:
    """``moment`` one calendar year earlier; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February: the year before has no such day
        return moment.replace(year=moment.year - 1, day=28)


def change_pct(now: int | Money, before: int | Money) -> Decimal | None:
    """The change from ``before`` to ``now`` in percent, rounded half-even to 2 places; None when ``before`` is 0.

    Money is compared in exact minor units (both in the same currency).
    """
    new, old = _units(now), _units(before)
    if old == 0:
        return None
    return round_ratio(Decimal(new - old) * 100 / Decimal(old))


def change_label(pct: Decimal | None, against: str) -> str:
    """``+12.3 % vs previous 30 days``, ``-4.0 % vs a year earlier``; "—" when there is no change to state."""
    if pct is None:
        return f"{NO_CHANGE} vs {against}"
    shown = pct.quantize(Decimal("0.1"))
    if shown == 0:
        shown = abs(shown)  # never "-0.0"
    return f"{shown:+} % vs {against}"


def _units(value: int | Money) -> int:
    return value.minor if isinstance(value, Money) else int(value)
