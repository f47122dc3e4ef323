"""How values look in the human formats (HTML and Markdown)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from patron.money import Money


def display(value: Any, column: str = "") -> str:
    """A cell or summary value as text: thousands separators, dates in ISO 8601, None blank.

    ``Money`` is formatted with its currency (``$2,500,315.63``, see ``patron.money.format_money``).

    Identifiers (a ``column`` named ``id`` or ending in ``_id``) and ranks keep their plain digits.
    """
    if value is None:
        return ""
    if isinstance(value, Money):
        return value.format()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        plain_digits = column == "id" or column.endswith("_id") or column == "rank"
        return str(value) if plain_digits else f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value.as_tuple().exponent != 0 else f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_numeric(value: Any) -> bool:
    """True for numbers (right-aligned in tables)."""
    return isinstance(value, int | float | Decimal | Money) and not isinstance(value, bool)
