"""The terminal view: title, KPIs and tables fitted to the terminal width (``rich``).

``patron report run NAME`` prints this when stdout is a terminal and no file
format or ``-o`` is given. ``rich`` (imported here only, so no other command pays
for it) wraps and shrinks columns to the width and honours ``NO_COLOR``; charts
are summarised by their data tables' absence: the HTML file (``-o NAME.html``) has them.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING

from patron.reports.render.display import display_rows, is_numeric, summary_items

if TYPE_CHECKING:
    from patron.reports.runner import ReportRun

#: The footer facts repeated in the terminal (the rest are in every file format).
FOOTER_KEEP = ("Report", "Parameters", "As of", "Data fingerprint")


def render_text(run: ReportRun, *, width: int | None = None, color: bool | None = None) -> str:
    """The report as terminal text, ``width`` columns wide (default: the terminal's, at most 120).

    ``color``: None decides from the environment (``NO_COLOR`` set: no colour).
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    if width is None:
        import shutil

        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    if color is None:
        color = "NO_COLOR" not in os.environ
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    result = run.result
    console.print(Text(result.title, style="bold"))
    if run.report.description:
        console.print(Text(run.report.description, style="dim"))
    if result.summary:
        console.print()
        kpis = RichTable.grid(padding=(0, 2))
        kpis.add_column(style="dim", overflow="fold")
        kpis.add_column(justify="right", style="bold", no_wrap=True)
        for label, text in summary_items(result.summary):
            kpis.add_row(label, text)
        console.print(kpis)
    for table in result.tables:
        console.print()
        specs, rows = display_rows(table)
        grid = RichTable(title=table.title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, expand=False)
        for i, spec in enumerate(specs):
            numeric = any(is_numeric(r[i]) for r in table.rows if i < len(r))
            grid.add_column(spec.heading, justify="right" if numeric else "left", overflow="fold")
        for row in rows:
            grid.add_row(*row)
        if not rows:
            grid.add_row("no rows", *[""] * (len(specs) - 1))
        console.print(grid)
    if result.figures:
        console.print()
        names = ", ".join(f.title for f in result.figures)
        console.print(Text(f"Charts ({names}): write HTML with -o {run.report.name}.html", style="dim"))
    console.print()
    for label, text in run.footer.rows():
        if label in FOOTER_KEEP:
            console.print(Text(f"{label}: {text}", style="dim"), overflow="fold")
    return out.getvalue()
