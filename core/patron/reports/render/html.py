"""The HTML format: one self-contained page, CSS inline, charts as inline SVG, no script."""

from __future__ import annotations

from typing import TYPE_CHECKING

from patron.reports.render.svg import chart_svg
from patron.reports.render.templating import environment

if TYPE_CHECKING:
    from patron.reports.runner import ReportRun


def render_html(run: ReportRun) -> str:
    """The report as a complete HTML document."""
    charts = [(f, chart_svg(f)) for f in run.result.figures]
    return (
        environment()
        .get_template("report.html")
        .render(run=run, result=run.result, footer=run.footer, charts=charts, description=run.report.description)
    )
