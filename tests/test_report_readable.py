"""What people read: no rendered report shows a snake_case label or an amount in minor units.

Runs the demo (every shipped plugin, a small customer count) and scans what a
reader sees of every report — HTML (charts included), Markdown and the
terminal text view — and the dashboard ``index.html``, footer excluded: the
footer repeats parameters as they are typed (``as_of=...``) so a run can be
reproduced. Audience names (``rfm:segment:at_risk``) are identifiers a user
types (``--param family=rfm:segment``), like customer ids, so they are not labels.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from patron.app import App
from patron.config import load_settings
from patron.demo.build import build_demo
from patron.kinds import PURCHASE
from patron.models import Interaction
from patron.reports.render.text import render_text
from patron.reports.runner import run_report

SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
MINOR = re.compile(r"\bminor\b", re.IGNORECASE)
AUDIENCE = re.compile(r"\b[a-z][a-z0-9]*:[a-z][a-z0-9_]*:[a-z0-9_]+\b")
#: An amount as the money formatter writes it (``€52,455.94``, ``€7.8K`` on a chart's axis).
AMOUNT = re.compile(r"[$€£]\s?(\d{1,3}(?:,\d{3})*(?:\.\d+)?)([KMB]?)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readable-demo")
    build_demo(folder, customers=200)
    return folder


@pytest.fixture(scope="module")
def demo_reports(demo: Path) -> Path:
    return demo / "reports"


@pytest.fixture(scope="module")
def text_views(demo: Path) -> dict[str, str]:
    """Every report's terminal view, as ``patron report run NAME`` prints it, without colour.

    160 columns: wide enough that no cell is wrapped in the middle of a word (``rfm:segment:potent`` /
    ``ial_loyalist`` would read as a snake_case fragment); fitting narrow terminals is test_report_text's job.
    """
    app = App(load_settings(demo / "patron.toml", env={}))
    try:
        return {name: render_text(run_report(app, name), width=160, color=False) for name in app.reports}
    finally:
        app.dispose()


@pytest.fixture(scope="module")
def revenue(demo: Path) -> Decimal:
    """Every purchase of the demo, in major units: no amount a report shows can be larger."""
    app = App(load_settings(demo / "patron.toml", env={}))
    try:
        with app.transaction() as session:
            total = session.scalar(select(func.sum(Interaction.amount_minor)).where(Interaction.kind == PURCHASE))
    finally:
        app.dispose()
    return Decimal(int(total or 0)) / 100


def visible_text(path: Path) -> str:
    """The text a reader sees, footer excluded (HTML: tags and styles stripped; Markdown: before the last ---)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = text.split("<footer>")[0]
        text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
        text = re.sub(r"<title>.*?</title>", " ", text, flags=re.S)  # tooltips repeat what the marks show
        text = re.sub(r"<[^>]+>", " ", text)
        return html.unescape(text)
    return text.rsplit("\n---\n", 1)[0]


def problems_in(name: str, text: str, revenue: Decimal) -> list[str]:
    text = AUDIENCE.sub(" ", text)
    found = [f"{name}: {m!r}" for m in sorted(set(SNAKE.findall(text)))]
    found += [f"{name}: 'minor' in {text[max(m.start() - 40, 0) : m.end() + 20]!r}" for m in MINOR.finditer(text)]
    for m in AMOUNT.finditer(text):
        amount = Decimal(m.group(1).replace(",", "")) * {"": 1, "K": 10**3, "M": 10**6, "B": 10**9}[m.group(2)]
        if amount > revenue:
            found.append(f"{name}: {m.group(0)!r} is more than all the demo's purchases ({revenue}): minor units?")
    return found


def test_no_snake_case_or_minor_units_in_any_rendered_report(
    demo: Path, demo_reports: Path, text_views: dict[str, str], revenue: Decimal
) -> None:
    pages = sorted(demo_reports.glob("*.html")) + sorted(demo_reports.glob("*.md")) + [demo / "index.html"]
    # Every report of every shipped plugin, in both formats, and the dashboard.
    assert len(pages) == 2 * len(text_views) + 1 and len(text_views) >= 19, [p.name for p in pages]
    assert revenue > 0
    problems = []
    for page in pages:
        problems += problems_in(page.name, visible_text(page), revenue)
    for name, text in text_views.items():
        problems += problems_in(f"{name} (text view)", text.rsplit("Report", 1)[0], revenue)
    assert not problems, "\n".join(problems)


def test_a_money_chart_reads_in_money_like_its_table(demo_reports: Path) -> None:
    """The R×F heatmap's colour legend names its largest cell as the table does ($440.00, never "max 44k")."""
    page = (demo_reports / "rfm-heatmap.html").read_text(encoding="utf-8")
    chart = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    legend = [html.unescape(t) for t in re.findall(r'class="legend-label"[^>]*>([^<]*)<', chart)]
    table = page.split("</svg>", 1)[1].split("<footer>", 1)[0]
    cells = [html.unescape(c) for c in re.findall(r'<td class="num">([$€£][^<]*)</td>', table)]
    assert len(legend) == 2 and cells, (legend, cells)
    largest = max(cells, key=lambda c: Decimal(c[1:].replace(",", "")))
    assert largest in legend, (largest, legend)
    values = re.findall(r'class="cell-value"[^>]*>([^<]*)<', chart)
    assert values and all(html.unescape(v)[0] in "$€£" for v in values), values


def test_the_dashboard_shows_each_report_with_its_numbers_and_main_chart(
    demo: Path, text_views: dict[str, str]
) -> None:
    page = (demo / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<article id="report-([a-z0-9-]+)">(.*?)</article>', page, flags=re.S)
    assert sorted(name for name, _ in cards) == sorted(text_views)
    assert cards[0][0] == "overview"  # the core's report opens the dashboard
    body = dict(cards)
    overview = body["overview"]
    assert 'href="reports/overview.html"' in overview
    assert re.search(r"<dd>€\d{1,3}(?:,\d{3})*\.\d{2}</dd>", overview), "no revenue figure on the overview card"
    assert 'class="chart chart-bar"' in overview  # its main chart, inline
    for name in ("rfm-segments", "rfm-heatmap", "rfm-pareto", "rfm-migration", "loyalty-tiers", "clv-distribution"):
        assert "<svg" in body[name] and "<dd>" in body[name], name
    # The demo scored RFM on two dates: the migration report has customers to show.
    moved = re.search(r"Customers who moved</dt><dd>([\d,]+)</dd>", body["rfm-migration"])
    assert moved and int(moved.group(1).replace(",", "")) > 0


def test_money_is_shown_with_its_currency(demo_reports: Path) -> None:
    for name in ("overview", "rfm-segments", "rfm-pareto", "loyalty-liability", "clv-distribution", "clv-by-segment"):
        text = visible_text(demo_reports / f"{name}.html")
        assert re.search(r"(?:[$€£]|[A-Z]{3}\s?)\d{1,3}(?:,\d{3})*\.\d{2}\b", text), name


def test_one_column_keeps_one_number_of_decimals(demo_reports: Path) -> None:
    text = (demo_reports / "rfm-segments.md").read_text(encoding="utf-8")
    table = text.split("## Segments", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows
    for col in range(2, 6):  # share %, revenue share %, recency (days), mean purchases
        places = {
            len(c.strip().rstrip("%").split(".")[1]) if "." in c else 0 for c in (r[col] for r in rows) if c.strip()
        }
        assert len(places) <= 1, (col, places)


def test_a_sentence_in_the_summary_reads_as_text_not_as_a_headline_number(demo_reports: Path) -> None:
    page = (demo_reports / "overview.html").read_text(encoding="utf-8")
    cards = re.findall(r'<div class="label">([^<]*)</div><div class="value( prose)?">([^<]*)</div>', page)
    shown = {html.unescape(label): (bool(prose), html.unescape(text)) for label, prose, text in cards}
    assert not shown["Customers"][0] and shown["Customers"][1].isdigit(), shown  # a number keeps the large type
    change = shown["Customers: change"]
    assert change[0] and " vs " in change[1], change  # the change sentence is set smaller than the numbers
