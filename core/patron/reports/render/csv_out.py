"""The CSV format: one document per table, footer as trailing ``#`` rows, formula-safe cells.

Formula neutralisation (on by default, ``--no-csv-safe`` turns it off): a text
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
prefixed with ``'``, so a spreadsheet shows it as text instead of running it
(OWASP "CSV injection"). Numbers are written as numbers: a negative amount such
as ``-12.50`` is an int/float/Decimal, or a string that is entirely a plain
decimal number, and is never prefixed, so it still sums in a spreadsheet.

A column holding ``Money`` cells is written exactly, as two columns: the decimal
amount (``0.1000``, a plain number) and ``<column>_currency`` (``CLF``).

The footer follows the rows after one blank line, each row's first cell
starting with ``#`` (read with ``pandas.read_csv(path, comment="#")``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from patron.money import Money
from patron.reports.serialize import plain

if TYPE_CHECKING:
    from patron.contracts import Table
    from patron.reports.runner import ReportRun

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet would run as a formula; then ``'`` + text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = value if isinstance(value, str) else str(plain(value))
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def table_csv(table: Table, footer_rows: Sequence[tuple[str, str]], *, safe: bool) -> str:
    """One table as CSV text (header, rows, blank line, footer rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    clean = safe_cell if safe else _as_text
    money = {i for row in table.rows for i, v in enumerate(row) if isinstance(v, Money)}
    header: list[Any] = []
    for i, column in enumerate(table.columns):
        header.extend([column, f"{column}_currency"] if i in money else [column])
    writer.writerow([clean(c) for c in header])
    for row in table.rows:
        cells: list[Any] = []
        for i, v in enumerate(row):
            if i in money:
                cells.extend(_money_cells(v))
            else:
                cells.append(_csv_value(v))
        writer.writerow([clean(c) for c in cells])
    writer.writerow([])
    for label, text in footer_rows:
        writer.writerow([f"# {label}", clean(text)])
    return out.getvalue()


def render_csv(run: ReportRun, *, safe: bool = True) -> dict[str, str]:
    """``{table name: CSV text}`` for every table of the result (summary as a table when it has none)."""
    from patron.contracts import Table

    tables = list(run.result.tables)
    if not tables:
        tables = [Table("summary", "Summary", ("key", "value"), [(k, v) for k, v in run.result.summary.items()])]
    footer = run.footer.rows()
    return {t.name: table_csv(t, [*footer, ("Table", t.name)], safe=safe) for t in tables}


def _money_cells(value: Any) -> tuple[Any, Any]:
    if isinstance(value, Money):
        exact = value.plain()
        return exact["amount"], exact["currency"]
    return _csv_value(value), None


def _csv_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal | str):
        return value
    return plain(value)


def _as_text(value: Any) -> Any:
    return value
