"""The dashboard: one page with every report's headline numbers and a thumbnail of its main chart.

Written by ``patron demo`` (``DIR/index.html``) and ``patron report run --all -o DIR``
(``DIR/index.html`` beside ``DIR/NAME.html``). Like a report it is one
self-contained file: CSS inline, thumbnails are the reports' own inline SVG
scaled down, no script and no network. Each card links to its report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from patron.money import Money
from patron.reports.render.display import spec_for
from patron.reports.render.svg import chart_svg
from patron.reports.render.templating import environment

if TYPE_CHECKING:
    from patron.reports.runner import ReportRun

#: How many headline numbers a card shows.
KPIS = 4


@dataclass(frozen=True)
class Card:
    """One report on the dashboard: where it is, its run, and other renderings to link (label → href)."""

    href: str
    run: ReportRun
    others: Mapping[str, str] = field(default_factory=dict)


def headline(summary: Mapping[str, Any], limit: int = KPIS) -> list[tuple[str, str, bool]]:
    """The first ``limit`` numbers of a summary as ``(label, text, is a number)``.

    A summary without numbers (a report with nothing to show yet) gives its first entries as text.
    """
    from patron.reports.render.display import display

    items = [(key, value) for key, value in summary.items() if value is not None]
    numbers = [(k, v) for k, v in items if _is_number(v)]
    chosen = numbers[:limit] or items[:2]
    return [(spec_for(k, [v]).heading, display(v, spec_for(k, [v])), _is_number(v)) for k, v in chosen]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal | Money) and not isinstance(value, bool)


def thumbnail(run: ReportRun) -> Markup | None:
    """The report's main chart (its first figure) as inline SVG, or None without one."""
    figures = run.result.figures
    return chart_svg(figures[0]) if figures else None


def render_dashboard(cards: Sequence[Card], *, title: str, intro: str = "") -> str:
    """The dashboard page (HTML) for ``cards``, in the order given."""
    rows = [
        {
            "href": card.href,
            "name": card.run.report.name,
            "title": card.run.result.title,
            "description": card.run.report.description,
            "kpis": headline(card.run.result.summary),
            "chart": thumbnail(card.run),
            "chart_title": card.run.result.figures[0].title if card.run.result.figures else "",
            "others": dict(card.others),
        }
        for card in cards
    ]
    return environment().get_template("dashboard.html").render(title=title, intro=intro, cards=rows)
