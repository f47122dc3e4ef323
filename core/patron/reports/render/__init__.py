"""Renderers: a ``ReportRun`` → HTML, Markdown, CSV or JSON text.

``render(run, fmt)`` returns the text of one document (CSV: one file per
table, see ``patron.reports.render.csv_out``). Templates live in
``patron/reports/templates`` and are rendered by Jinja2 with autoescape on for HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from patron.reports.runner import ReportRun

Format = Literal["html", "md", "csv", "json", "text"]
FORMATS: tuple[Format, ...] = ("html", "md", "csv", "json")


def render(run: ReportRun, fmt: Format, *, csv_safe: bool = True) -> dict[str, str]:
    """Render ``run`` as ``fmt``; returns ``{table name or "": text}`` (several entries only for CSV)."""
    if fmt == "html":
        from patron.reports.render.html import render_html

        return {"": render_html(run)}
    if fmt == "md":
        from patron.reports.render.markdown import render_markdown

        return {"": render_markdown(run)}
    if fmt == "json":
        from patron.reports.render.json_out import render_json

        return {"": render_json(run)}
    if fmt == "text":
        from patron.reports.render.text import render_text

        return {"": render_text(run)}
    if fmt == "csv":
        from patron.reports.render.csv_out import render_csv

        return render_csv(run, safe=csv_safe)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)} or text")
