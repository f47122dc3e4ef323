"""The Markdown format: summary list, pipe tables, figures as their data tables, footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patron.reports.render.display import display
from patron.reports.render.templating import environment

if TYPE_CHECKING:
    from patron.reports.runner import ReportRun


def md_cell(value: Any, column: str = "") -> str:
    """A table cell: pipes and line breaks escaped so the table stays one row per line."""
    return display(value, column).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def render_markdown(run: ReportRun) -> str:
    """The report as GitHub-flavoured Markdown."""
    env = environment()
    figures = [
        (
            f,
            [f.x_label or "x", *f.series.keys()],
            [[x, *(vals[i] for vals in f.series.values())] for i, x in enumerate(f.x)],
        )
        for f in run.result.figures
    ]
    return env.get_template("report.md").render(
        run=run,
        result=run.result,
        footer=run.footer,
        figures=figures,
        cell=md_cell,
        description=run.report.description,
    )
