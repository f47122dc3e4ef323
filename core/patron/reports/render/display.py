"""How values look in the human formats (HTML, Markdown and the terminal view).

A column's look comes from its ``patron.contracts.Column`` spec (label, format,
unit, decimals); a plain column name gets a readable label and a format inferred
from all of its values, so one column never mixes ``2`` and ``2.19``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from patron.contracts import Column, column_spec
from patron.money import Money
from patron.terminal import clean

if TYPE_CHECKING:
    from patron.contracts import Table


def infer_format(name: str, values: Iterable[Any]) -> str:
    """The format a column without a declared one gets from its values."""
    if name == "id" or name.endswith("_id") or name == "rank":
        return "id"
    seen = [v for v in values if v is not None]
    if not seen:
        return "text"
    if all(isinstance(v, Money) for v in seen):
        return "money"
    numbers = [v for v in seen if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]
    if len(numbers) == len(seen):
        whole = all(v == int(v) for v in numbers if not (isinstance(v, float) and v != v))
        return "count" if whole else "number"
    if all(isinstance(v, date) for v in seen):
        return "date"
    return "text"


def spec_for(column: str, values: Iterable[Any]) -> Column:
    """``column``'s spec, with the format inferred from ``values`` when none is declared."""
    spec = column_spec(column)
    if spec.number_format is not None:
        return spec
    return Column(spec.name, spec.label, infer_format(spec.name, values), spec.unit, spec.decimals)  # type: ignore[arg-type]


def table_specs(table: Table) -> list[Column]:
    """One spec per column of ``table``."""
    return [spec_for(c, (row[i] for row in table.rows if i < len(row))) for i, c in enumerate(table.columns)]


def summary_items(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, displayed value)`` for every summary entry (a ``Column`` key gives label and format)."""
    items = []
    for key, value in summary.items():
        spec = spec_for(key, [value])
        items.append((spec.heading, display(value, spec)))
    return items


def display(value: Any, column: str = "") -> str:
    """A cell or summary value as text: thousands separators, dates in ISO 8601, None blank.

    ``Money`` is formatted with its currency (``$2,500,315.63``, see ``patron.money.format_money``).
    ``column`` may be a ``Column`` spec: its format and decimals decide (``percent`` adds ``%``);
    a plain name only marks identifiers (``id``, ``*_id``, ``rank``), which keep plain digits.
    """
    if value is None:
        return ""
    if isinstance(value, Money):
        return value.format()
    if isinstance(value, bool):
        return "yes" if value else "no"
    spec = column_spec(column) if column else None
    fmt = spec.number_format if spec is not None else None
    if fmt is None and column:
        fmt = "id" if (column == "id" or column.endswith("_id") or column == "rank") else None
    if isinstance(value, int | float | Decimal) and fmt in ("count", "number", "percent", "days", "id"):
        assert spec is not None
        if fmt == "id":
            return str(int(value)) if value == int(value) else str(value)
        places = spec.places or 0
        text = f"{value:,.{places}f}"
        return text + "%" if fmt == "percent" else text
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value.as_tuple().exponent != 0 else f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    # Control characters in stored text are shown as escapes, never passed to a terminal or a page.
    return clean(value)


def display_rows(table: Table) -> tuple[list[Column], list[list[str]]]:
    """``(specs, rows of displayed text)`` of ``table``."""
    specs = table_specs(table)
    return specs, [[display(v, specs[i] if i < len(specs) else "") for i, v in enumerate(row)] for row in table.rows]


def figure_table(
    x_label: str, x: Sequence[Any], series: Mapping[str, Sequence[Any]]
) -> tuple[list[str], list[list[Any]]]:
    """A figure's data as ``(column names, rows)``: the x values, then one column per series."""
    return [x_label or "x", *series.keys()], [[v, *(vals[i] for vals in series.values())] for i, v in enumerate(x)]


def is_numeric(value: Any) -> bool:
    """True for numbers (right-aligned in tables)."""
    return isinstance(value, int | float | Decimal | Money) and not isinstance(value, bool)
