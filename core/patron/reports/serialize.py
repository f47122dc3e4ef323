"""Plain, JSON-ready values from report results (dates → ISO, Decimal → number, …).

Shared by the JSON renderer and the fingerprint, so both see the same canonical form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from patron.contracts import Figure, ReportResult, Table
from patron.money import Money


def plain(value: Any) -> Any:
    """``value`` made of JSON types only; Decimals become int or float; ``Money`` an exact object.

    ``Money(1000, "CLF")`` becomes ``{"amount": "0.1000", "currency": "CLF"}``: the
    amount is a decimal string so no float can change it.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, float):
        return value if value == value else None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    return str(value)


def table_json(table: Table) -> dict[str, Any]:
    """A table as ``{name, title, columns, rows}``."""
    return {
        "name": table.name,
        "title": table.title,
        "columns": list(table.columns),
        "rows": [plain(list(r)) for r in table.rows],
    }


def figure_json(figure: Figure) -> dict[str, Any]:
    """A figure as plain data: kind, axes, series."""
    return {
        "name": figure.name,
        "title": figure.title,
        "kind": figure.kind,
        "x": plain(list(figure.x)),
        "series": {k: plain(list(v)) for k, v in figure.series.items()},
        "x_label": figure.x_label,
        "y_label": figure.y_label,
    }


def result_json(result: ReportResult) -> dict[str, Any]:
    """The whole result as plain data (the footer is added by the renderer)."""
    return {
        "title": result.title,
        "summary": plain(result.summary),
        "tables": [table_json(t) for t in result.tables],
        "figures": [figure_json(f) for f in result.figures],
    }
