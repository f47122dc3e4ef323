"""The Markdown format: summary list, pipe tables, figures as their data tables, footer."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from patron.contracts import Column
from patron.money import Money, round_money, to_minor
from patron.reports.render.display import display, figure_table, spec_for
from patron.reports.render.templating import environment

if TYPE_CHECKING:
    from patron.contracts import Figure
    from patron.reports.runner import ReportRun


def md_escape(text: str) -> str:
    """Pipes and line breaks escaped so a table stays one row per line."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def md_cell(value: Any, column: str = "") -> str:
    """A table cell, displayed (``display``) and escaped."""
    return md_escape(display(value, column))


def figure_specs(figure: Figure) -> tuple[list[Column], list[list[Any]]]:
    """A figure's data table: x then one column per series, with readable labels and inferred formats."""
    names, rows = figure_table(figure.x_label or "x", figure.x, figure.series)
    fmt = figure.value_format
    if fmt == "money" and figure.currency:
        # Money figures carry major units (what the chart draws); the table shows them as money again.
        rows = [[r[0], *(None if v is None else _money(v, figure.currency) for v in r[1:])] for r in rows]
    specs = [spec_for(n, (r[i] for r in rows)) for i, n in enumerate(names)]
    if fmt in ("count", "number", "percent", "days"):
        specs = [specs[0], *(Column(s.name, s.label, fmt) for s in specs[1:])]
    return specs, rows


def _money(major: float, currency: str) -> Money:
    return Money(to_minor(round_money(Decimal(str(major)), currency), currency), currency)


def render_markdown(run: ReportRun) -> str:
    """The report as GitHub-flavoured Markdown."""
    env = environment()
    figures = [(f, *figure_specs(f)) for f in run.result.figures]
    return env.get_template("report.md").render(
        run=run,
        result=run.result,
        footer=run.footer,
        figures=figures,
        cell=md_cell,
        escape=md_escape,
        description=run.report.description,
    )
